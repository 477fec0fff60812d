"""Static files of the console (a package only so that they ship as package data)."""
