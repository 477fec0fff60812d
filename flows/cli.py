"""The ``hydrasweep`` console command.

Each command group lives in ``flows/commands/<group>.py`` and registers itself
on the app; heavy libraries (Spark, MLflow, Prefect) are imported inside the
commands, so ``hydrasweep --help`` stays fast. Any failure ends as one readable
line on stderr and a non-zero exit; ``HYDRASWEEP_DEBUG=1`` shows the traceback.
"""

from __future__ import annotations

import logging
import sys

import typer

from flows.commands import evaluate, pipeline, queue, simulate, text
from flows.errors import UserError

app = typer.Typer(
    name="hydrasweep",
    help="Find LLM distillation campaigns (hydra clusters) in API traffic.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"hydrasweep {version('hydrasweep')}")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: bool = typer.Option(
        False,
        "--version",
        callback=_show_version,
        is_eager=True,
        help="Print the installed version and exit.",
    ),
) -> None:
    """Find LLM distillation campaigns (hydra clusters) in API traffic."""


simulate.register(app)
pipeline.register(app)
queue.register(app)
evaluate.register(app)
text.register(app)


def main(argv: list[str] | None = None) -> int:
    """Console entry point: run the app, turn failures into one line and an exit code."""
    from flows.settings import apply_offline_defaults

    apply_offline_defaults()
    if not _debug():
        _quiet_run_tracebacks()
    try:
        # Without standalone mode, click returns typer.Exit's code instead of raising it.
        code = app(args=argv, prog_name="hydrasweep", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        print("hydrasweep: aborted", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("hydrasweep: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            # a usage error from typer's click: it prints its own message and usage
            exc.show()
            return int(exc.exit_code)
        if _debug():
            raise
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        kind = "" if _speaks_for_itself(exc) else f"{type(exc).__name__}: "
        print(f"hydrasweep: error: {kind}{reason}", file=sys.stderr)
        return 1
    return code if isinstance(code, int) else 0


_OWN_PACKAGES = ("flows", "jobs", "features", "models", "review", "lakeio", "simulate")


def _speaks_for_itself(exc: Exception) -> bool:
    """Our own errors (a day not ready, a failed gate, no champion) are written
    for the user; a foreign exception keeps its type name as a clue."""
    return (
        isinstance(exc, UserError | ValueError)
        or type(exc).__module__.split(".")[0] in _OWN_PACKAGES
    )


class _NoTraceback(logging.Filter):
    """Keep a run logger's error line, drop the traceback Prefect attaches to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def _quiet_run_tracebacks() -> None:
    """Prefect logs every failed flow and task run with its traceback; the command's
    own last line already says what failed, so the tracebacks show only with
    ``HYDRASWEEP_DEBUG=1``."""
    for name in (
        "prefect.flow_runs",
        "prefect.task_runs",
        "prefect.flow_engine",
        "prefect.task_engine",
    ):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoTraceback) for f in logger.filters):
            logger.addFilter(_NoTraceback())


def _debug() -> bool:
    from flows.settings import debug_enabled

    return debug_enabled()


if __name__ == "__main__":
    sys.exit(main())
