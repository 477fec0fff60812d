"""Alembic revisions of the review queue schema (a package so they ship in wheels)."""
