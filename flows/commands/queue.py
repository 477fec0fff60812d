"""``hydrasweep queue``: work the review queue from the command line.

Every command takes ``--format json`` for machine-readable output (plus
``table`` for people); ``export --format jsonl`` is the contract's one line per
flagged account. The CLI is trusted like a database client: reviewers are
names, not logins (the web console, ``queue serve``, has users and roles).
``claim`` exits with code 3 when no case is free, so scripts can loop on it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer

from flows.commands.options import HomeOption, LakeOption, QueueUrlOption
from flows.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

NOTHING_TO_CLAIM_EXIT = 3


class NothingToClaim(click.ClickException):
    """Not a failure, but scripts looping on ``claim`` need to know: exit code 3."""

    exit_code = NOTHING_TO_CLAIM_EXIT


class Format(StrEnum):
    table = "table"
    json = "json"


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    json = "json"


class StatusFilter(StrEnum):
    open = "open"
    claimed = "claimed"
    escalated = "escalated"
    deferred = "deferred"
    closed = "closed"
    withdrawn = "withdrawn"
    active = "active"
    all = "all"


class Outcome(StrEnum):
    abuse = "abuse"
    legitimate = "legitimate"
    mixed = "mixed"


class Role(StrEnum):
    analyst = "analyst"
    lead = "lead"


FormatOption = Annotated[Format, typer.Option("--format", help="Output format.")]
ReviewerOption = Annotated[
    str, typer.Option("--reviewer", help="Who is acting (recorded in the audit log).")
]
CaseArgument = Annotated[int, typer.Argument(help="Case id.", show_default=False)]


@contextmanager
def _queue(queue_url: str | None, home: str | None) -> Iterator[Engine]:
    """The queue engine from flags/env/defaults; queue errors become one-line UserErrors."""
    from flows.settings import load_settings
    from review.db import open_queue
    from review.errors import ReviewError

    settings = load_settings(queue_url=queue_url, home=home)
    engine = None
    try:
        engine = open_queue(settings.queue_database_url)
        yield engine
    except ReviewError as exc:
        raise UserError(str(exc)) from exc
    finally:
        if engine is not None:
            engine.dispose()


def _print_json(value: Any) -> None:
    from review.records import jsonable

    typer.echo(json.dumps(jsonable(value), indent=2, sort_keys=True))


def _console() -> Any:
    from rich.console import Console

    return Console(soft_wrap=True, highlight=False)


def _fmt_tokens(n: int) -> str:
    return f"{n:,}"


def _print_cases(cases: list[Any], title: str) -> None:
    from rich.table import Table

    table = Table(title=title)
    for column in (
        "case",
        "status",
        "priority",
        "risk",
        "output tokens",
        "accounts",
        "cluster",
        "last seen",
        "claimed by",
    ):
        table.add_column(
            column,
            justify="right"
            if column in ("priority", "risk", "output tokens", "accounts")
            else "left",
        )
    for c in cases:
        table.add_row(
            str(c.id),
            c.status + (" (escalated)" if c.escalated and c.status != "escalated" else ""),
            f"{c.priority:,.0f}",
            f"{c.risk:.3f}",
            _fmt_tokens(c.output_tokens),
            str(c.accounts_count),
            c.cluster_id or "-",
            c.last_seen.isoformat(),
            c.claimed_by or "-",
        )
    _console().print(table)


def _print_case(detail: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    c = detail.case
    console = _console()
    # Everything that came from traffic (reasons, prompts, entities) is escaped for rich.
    console.print(
        f"[bold]case {c.id}[/bold]: {escape(c.title)}  status={c.status}  "
        f"priority={c.priority:,.0f}  risk={c.risk:.3f}  tokens={_fmt_tokens(c.output_tokens)}"
    )
    console.print(
        f"seen {c.first_seen} .. {c.last_seen}; claimed by {c.claimed_by or '-'}; "
        f"outcome {c.outcome or '-'}"
    )
    members = Table(title="members")
    for column in ("account", "customer", "score", "output tokens", "outcome", "top reasons"):
        members.add_column(column)
    for m in detail.members:
        reasons = ", ".join(str(r.get("feature", r.get("name", r))) for r in m.reasons[:3])
        members.add_row(
            escape(m.account_id),
            escape(m.customer_id or "-"),
            f"{m.score:.3f}",
            _fmt_tokens(m.output_tokens),
            m.outcome or "-",
            escape(reasons),
        )
    console.print(members)
    for ev in detail.evidence:
        console.print(
            f"[bold]evidence {ev.sweep_date}[/bold] cluster {escape(ev.cluster_id or '-')}: "
            f"{ev.accounts_count} accounts, {ev.requests:,} requests, "
            f"{_fmt_tokens(ev.output_tokens)} output tokens"
        )
        for entity in ev.entities[:10]:
            console.print(
                f"  shared {escape(str(entity.get('type')))} {escape(str(entity.get('value')))} "
                f"({entity.get('accounts')} accounts)"
            )
        for prompt in ev.sample_prompts[:3]:
            console.print("  prompt: " + escape(prompt[:200].replace("\n", " ")))
    for d in detail.decisions:
        console.print(
            f"decided {d.outcome} by {escape(d.reviewer)} at {d.decided_at:%Y-%m-%d %H:%M}: {escape(d.reason)}"
        )
    for note in detail.comments:
        console.print(
            f"{note.kind} by {escape(note.author)} at {note.created_at:%Y-%m-%d %H:%M}: {escape(note.body)}"
        )


def _parse_account_outcomes(values: list[str]) -> dict[str, str]:
    outcomes: dict[str, str] = {}
    for value in values:
        account_id, sep, outcome = value.rpartition("=")
        if not sep or not account_id or outcome not in ("abuse", "legitimate"):
            raise UserError(f"--account {value!r}: expected ACCOUNT=abuse or ACCOUNT=legitimate")
        outcomes[account_id] = outcome
    return outcomes


def _secret_key(path: Path) -> str:
    """The console's cookie-signing key, created once (mode 0600) next to the queue."""
    import secrets

    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if len(key) < 32:
            raise UserError(f"secret key file {path} holds fewer than 32 characters")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key + "\n", encoding="utf-8")
    return key


def register(app: typer.Typer) -> None:
    queue_app = typer.Typer(help="Work the review queue.", no_args_is_help=True)
    app.add_typer(queue_app, name="queue")
    users_app = typer.Typer(help="Console users (log in to `queue serve`).", no_args_is_help=True)
    queue_app.add_typer(users_app, name="users")

    @queue_app.command("list")
    def list_command(
        status: Annotated[
            StatusFilter,
            typer.Option("--status", help="Which cases; active = open, claimed or escalated."),
        ] = StatusFilter.open,
        limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many cases.")] = 50,
        search: Annotated[
            str | None, typer.Option("--search", help="A case id, cluster id or account id.")
        ] = None,
        output: FormatOption = Format.table,
        queue_url: QueueUrlOption = None,
        home: HomeOption = None,
    ) -> None:
        """List cases by priority (risk x output tokens), highest first."""
        from review.service import count_cases, list_cases

        with _queue(queue_url, home) as engine:
            cases = list_cases(engine, status=status.value, limit=limit, search=search)
            counts = count_cases(engine)
        if output is Format.json:
            _print_json(
                {"status": status.value, "counts": counts, "cases": [c.to_dict() for c in cases]}
            )
            return
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "empty"
        _print_cases(cases, f"{status.value} cases ({summary})")

    @queue_app.command("show")
    def show_command(
        case_id: CaseArgument,
        output: FormatOption = Format.table,
        queue_url: QueueUrlOption = None,
        home: HomeOption = None,
    ) -> None:
        """Show one case: members, reasons, linking evidence, samples, decisions."""
        from review.service import get_case

        with _queue(queue_url, home) as engine:
            detail = get_case(engine, case_id)
        if output is Format.json:
            _print_json(detail.to_dict())
        else:
            _print_case(detail)

    @queue_app.command("claim")
    def claim_command(
        reviewer: ReviewerOption,
        case_id: Annotated[
            int | None, typer.Option("--case", help="Claim this case instead of the next one.")
        ] = None,
        escalated: Annotated[
            bool, typer.Option("--escalated", help="Also take escalated cases (leads), first.")
        ] = False,
        lease_minutes: Annotated[
            int, typer.Option("--lease-minutes", min=1, help="The claim lapses after this long.")
        ] = 30,
        output: FormatOption = Format.table,
        queue_url: QueueUrlOption = None,
        home: HomeOption = None,
    ) -> None:
        """Claim the most urgent free case (exit code 3 when none is free)."""
        from datetime import timedelta

        from review.service import ClaimPolicy, claim_case, claim_next_case, get_case

        policy = ClaimPolicy(lease=timedelta(minutes=lease_minutes), include_escalated=escalated)
        with _queue(queue_url, home) as engine:
            if case_id is None:
                claimed = claim_next_case(engine, reviewer, policy=policy)
            else:
                claimed = claim_case(engine, case_id, reviewer, policy=policy)
            detail = get_case(engine, claimed.id) if claimed is not None else None
        if detail is None:
            if output is Format.json:
                _print_json({"case": None, "message": "no case is free to claim"})
            raise NothingToClaim("no case is free to claim")
        if output is Format.json:
            _print_json(detail.to_dict())
        else:
            typer.echo(
                f"claimed case {detail.case.id} for {reviewer} until "
                f"{detail.case.claim_expires_at:%Y-%m-%d %H:%M} UTC"
            )
            _print_case(detail)

    @queue_app.command("release")
    def release_command(
        case_id: CaseArgument,
        reviewer: ReviewerOption,
        output: FormatOption = Format.table,
        queue_url: QueueUrlOption = None,
        home: HomeOption = None,
    ) -> None:
        """Give a case you hold back to the queue."""
        from review.service import release_case

        with _queue(queue_url, home) as engine:
            case = release_case(engine, case_id, reviewer)
        if output is Format.json:
            _print_json(case.to_dict())
        else:
            typer.echo(f"released case {case.id}: {case.status}")

    @queue_app.command("decide")
    def decide_command(
        case_id: CaseArgument,
        reviewer: ReviewerOption,
        outcome: Annotated[
            Outcome,
            typer.Option(
                "--outcome", help="abuse, legitimate, or mixed (then --account for every member)."
            ),
        ],
        reason: Annotated[
            str, typer.Option("--reason", help="Why: required, kept in the audit log.")
        ],
        account: Annotated[
            list[str] | None,
            typer.Option("--account", help="ACCOUNT=abuse|legitimate; repeat per account."),
        ] = None,
        output: FormatOption = Format.table,
        queue_url: QueueUrlOption = None,
        home: HomeOption = None,
    ) -> None:
        """Decide a case you hold; it closes, and its labels flow to training on export."""
        from review.service import decide_case

        per_account = _parse_account_outcomes(account or [])
        with _queue(queue_url, home) as engine:
            decision = decide_case(
                engine,
                case_id,
                reviewer=reviewer,
                outcome=outcome.value,
                reason=reason,
                account_outcomes=per_account,
            )
        if output is Format.json:
            _print_json(decision.to_dict())
        else:
            abuse = sum(1 for v in decision.account_outcomes.values() if v == "abuse")
            typer.echo(
                f"case {case_id} decided {decision.outcome} by {reviewer}: "
                f"{abuse} abuse, {len(decision.account_outcomes) - abuse} legitimate accounts"
            )

    @queue_app.command("escalate")
    def escalate_command(
        case_id: CaseArgument,
        reviewer: ReviewerOption,
        reason: Annotated[str, typer.Option("--reason", help="Why a lead should look.")],
        output: FormatOption = Format.table,
        queue_url: QueueUrlOption = None,
        home: HomeOption = None,
    ) -> None:
        """Pass a case you hold to the leads."""
        from review.service import escalate_case

        with _queue(queue_url, home) as engine:
            case = escalate_case(engine, case_id, reviewer=reviewer, reason=reason)
        if output is Format.json:
            _print_json(case.to_dict())
        else:
            typer.echo(f"case {case.id} escalated by {reviewer}")

    @queue_app.command("comment")
    def comment_command(
        case_id: CaseArgument,
        reviewer: ReviewerOption,
        text: Annotated[str, typer.Option("--text", help="The comment.")],
        output: FormatOption = Format.table,
        queue_url: QueueUrlOption = None,
        home: HomeOption = None,
    ) -> None:
        """Add a comment to a case."""
        from review.service import add_comment

        with _queue(queue_url, home) as engine:
            comment = add_comment(engine, case_id, author=reviewer, text=text)
        if output is Format.json:
            _print_json(comment.to_dict())
        else:
            typer.echo(f"comment {comment.id} added to case {case_id}")

    @queue_app.command("reassign")
    def reassign_command(
        case_id: CaseArgument,
        to: Annotated[str, typer.Option("--to", help="Reviewer who gets the case.")],
        by: Annotated[str, typer.Option("--by", help="The lead reassigning it.")],
        note: Annotated[
            str | None, typer.Option("--note", help="Optional note on the case.")
        ] = None,
        output: FormatOption = Format.table,
        queue_url: QueueUrlOption = None,
        home: HomeOption = None,
    ) -> None:
        """Hand a case to another reviewer (a lead's action)."""
        from review.service import reassign_case

        with _queue(queue_url, home) as engine:
            case = reassign_case(engine, case_id, to_reviewer=to, actor=by, note=note)
        if output is Format.json:
            _print_json(case.to_dict())
        else:
            typer.echo(f"case {case.id} reassigned to {to} by {by}")

    @queue_app.command("audit")
    def audit_command(
        case_id: Annotated[int | None, typer.Option("--case", help="Only this case.")] = None,
        limit: Annotated[int, typer.Option("--limit", min=1)] = 100,
        output: FormatOption = Format.table,
        queue_url: QueueUrlOption = None,
        home: HomeOption = None,
    ) -> None:
        """Read the append-only audit log, newest first."""
        from review.service import read_audit

        with _queue(queue_url, home) as engine:
            entries = read_audit(engine, case_id=case_id, limit=limit)
        if output is Format.json:
            _print_json([e.to_dict() for e in entries])
            return
        from rich.markup import escape
        from rich.table import Table

        table = Table(title="audit log")
        for column in ("at", "actor", "action", "case", "status before -> after"):
            table.add_column(column)
        for e in entries:
            change = ""
            if e.before or e.after:
                change = (
                    f"{(e.before or {}).get('status', '-')} -> {(e.after or {}).get('status', '-')}"
                )
            table.add_row(
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                escape(e.actor),
                e.action,
                str(e.case_id or "-"),
                change,
            )
        _console().print(table)

    @queue_app.command("export")
    def export_command(
        output: Annotated[
            ExportFormat, typer.Option("--format", help="jsonl: one flagged account a line.")
        ] = ExportFormat.jsonl,
        day: Annotated[
            str | None,
            typer.Option(
                "--date", help="Only the accounts flagged on this sweep day (YYYY-MM-DD)."
            ),
        ] = None,
        to_file: Annotated[
            Path | None, typer.Option("--output", help="Write here instead of stdout.")
        ] = None,
        labels: Annotated[
            bool,
            typer.Option(
                "--labels", help="Instead: write decisions as training labels to the lake."
            ),
        ] = False,
        lake: LakeOption = None,
        queue_url: QueueUrlOption = None,
        home: HomeOption = None,
    ) -> None:
        """Export flagged accounts (account_id, case_id, cluster_id, score, sweep_date, reasons)."""
        from flows.settings import load_settings

        if labels:
            from lakeio import LakeError, open_store
            from review.feedback import export_labels

            settings = load_settings(lake=lake, home=home, queue_url=queue_url)
            try:
                store = open_store(settings.lake_uri)
            except LakeError as exc:
                raise UserError(str(exc)) from exc
            with _queue(queue_url, home) as engine:
                result = export_labels(engine, store)
            if output is ExportFormat.json:
                _print_json(
                    {
                        "key": result.key,
                        "labels": result.labels,
                        "abuse": result.abuse,
                        "legitimate": result.legitimate,
                        "lake": settings.lake_uri,
                    }
                )
            else:
                typer.echo(
                    f"wrote {result.labels} review labels ({result.abuse} abuse, "
                    f"{result.legitimate} legitimate) to {settings.lake_uri}/{result.key}"
                )
            return
        from review.service import export_flagged

        try:
            sweep_date = date.fromisoformat(day) if day else None
        except ValueError as exc:
            raise UserError(f"--date {day!r} is not a date (YYYY-MM-DD)") from exc
        with _queue(queue_url, home) as engine:
            records = export_flagged(engine, sweep_date=sweep_date)
        if output is ExportFormat.jsonl:
            body = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)
        else:
            body = json.dumps(records, indent=2, sort_keys=True) + "\n"
        if to_file is None:
            sys.stdout.write(body)
        else:
            to_file.write_text(body, encoding="utf-8")
            typer.echo(f"wrote {len(records)} flagged accounts to {to_file}", err=True)

    @queue_app.command("migrate")
    def migrate_command(
        queue_url: QueueUrlOption = None,
        home: HomeOption = None,
        output: FormatOption = Format.table,
    ) -> None:
        """Create or upgrade the queue schema (every command also does this on start)."""
        from review.migrations import current_revision

        with _queue(queue_url, home) as engine:
            revision = current_revision(engine)
        if output is Format.json:
            _print_json({"revision": revision})
        else:
            typer.echo(f"review queue schema at revision {revision}")

    @queue_app.command("serve")
    def serve_command(
        host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
        secret_key_file: Annotated[
            Path | None,
            typer.Option(
                "--secret-key-file",
                help="Cookie-signing key; created if missing. Default: <home>/console-secret.",
            ),
        ] = None,
        secure_cookies: Annotated[
            bool,
            typer.Option("--secure-cookies", help="Send cookies over HTTPS only (behind TLS)."),
        ] = False,
        queue_url: QueueUrlOption = None,
        home: HomeOption = None,
    ) -> None:
        """Run the web console for analysts and leads."""
        import uvicorn

        from flows.settings import load_settings
        from review.web import create_app

        settings = load_settings(queue_url=queue_url, home=home)
        key = _secret_key(secret_key_file or settings.home / "console-secret")
        with _queue(queue_url, home):
            pass  # migrate and fail early, with one line, if the database is unreachable
        web_app = create_app(settings.queue_database_url, key, secure_cookies=secure_cookies)
        typer.echo(
            f"review console on http://{host}:{port}/ (queue {settings.queue_database_url})",
            err=True,
        )
        uvicorn.run(web_app, host=host, port=port, log_level="info")

    @users_app.command("add")
    def users_add_command(
        name: Annotated[str, typer.Argument(help="Login name.")],
        role: Annotated[
            Role, typer.Option("--role", help="analyst, or lead (reassigns, reads the audit log).")
        ] = Role.analyst,
        password: Annotated[
            str | None,
            typer.Option("--password", help="Prefer --password-stdin: flags show up in ps."),
        ] = None,
        password_stdin: Annotated[
            bool,
            typer.Option(
                "--password-stdin", help="Read the password from the first line of stdin."
            ),
        ] = False,
        replace: Annotated[
            bool, typer.Option("--replace", help="Reset an existing user's role and password.")
        ] = False,
        output: FormatOption = Format.table,
        queue_url: QueueUrlOption = None,
        home: HomeOption = None,
    ) -> None:
        """Add a console user."""
        from review.users import add_user

        if password_stdin == (password is not None):
            raise UserError("give exactly one of --password and --password-stdin")
        secret = sys.stdin.readline().rstrip("\r\n") if password_stdin else str(password)
        with _queue(queue_url, home) as engine:
            user = add_user(engine, name, role=role.value, password=secret, replace=replace)
        if output is Format.json:
            _print_json({"name": user.name, "role": user.role})
        else:
            typer.echo(f"user {user.name} ({user.role}) {'updated' if replace else 'added'}")

    @users_app.command("list")
    def users_list_command(
        output: FormatOption = Format.table,
        queue_url: QueueUrlOption = None,
        home: HomeOption = None,
    ) -> None:
        """List console users."""
        from review.users import list_users

        with _queue(queue_url, home) as engine:
            users = list_users(engine)
        if output is Format.json:
            _print_json([{"name": u.name, "role": u.role, "disabled": u.disabled} for u in users])
        else:
            for u in users:
                typer.echo("\t".join([u.name, u.role] + (["disabled"] if u.disabled else [])))
