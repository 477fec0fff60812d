"""Prefect flows and the ``hydrasweep`` command line: the composition root.

This is the only package that reads settings and picks implementations (local
folder or S3 lake, SQLite or PostgreSQL queue, local or remote Spark); every
other package takes plain values.
"""
