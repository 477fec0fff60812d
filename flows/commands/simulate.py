"""``hydrasweep simulate``: write synthetic contract traffic into the lake."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("simulate")
    def simulate_command() -> None:
        """Write synthetic traffic that follows the contract into the lake."""
        raise NotImplementedError("simulate is being built")
