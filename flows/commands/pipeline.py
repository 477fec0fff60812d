"""Pipeline commands: demo, sweep, backfill, train, promote."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("sweep")
    def sweep_command() -> None:
        """The daily sweep flow for one day."""
        raise NotImplementedError("sweep is being built")
