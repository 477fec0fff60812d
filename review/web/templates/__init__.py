"""Jinja2 templates of the console (a package only so that they ship as package data)."""
