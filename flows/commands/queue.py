"""``hydrasweep queue``: work the review queue."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    queue_app = typer.Typer(help="Work the review queue.", no_args_is_help=True)
    app.add_typer(queue_app, name="queue")

    @queue_app.command("list")
    def list_command() -> None:
        """List open cases."""
        raise NotImplementedError("queue is being built")
