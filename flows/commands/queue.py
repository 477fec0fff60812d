"""``hydrasweep queue``: work the review queue from the command line.

Every command takes ``--format json`` for machine-readable output (plus
``table`` for people); ``export --format jsonl`` is the contract's one line per
flagged account, and ``export-labels`` writes decisions to the lake as
training labels. Commands that act on cases, read the audit log or export
labels run as a queue user, checked like a console login (same user table,
roles, throttling and audit): ``--reviewer NAME`` (or ``HYDRASWEEP_QUEUE_USER``)
with the password from ``HYDRASWEEP_QUEUE_PASSWORD``, ``--password-stdin`` or
a prompt. A script runs as a service identity (role ``service``: it reads and
exports, never works cases). ``claim`` exits with code 3 when no case is free,
so scripts can loop on it. What each command prints is in
``flows.commands.queue_render``.
"""

from __future__ import annotations

import functools
import getpass
import importlib.util
import inspect
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum, StrEnum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import click
import typer

from flows.commands import queue_render as render
from flows.commands.options import HomeOption, LakeOption, QueueUrlOption
from flows.errors import UserError
from review.vocabulary import (
    ACCOUNT_OUTCOMES,
    CaseFilter,
    CaseSort,
    DeliveryStatus,
    Outcome,
    Role,
)


def _lazy_module(name: str) -> ModuleType:
    """``name``, its code run on first attribute access (the ``importlib.util.LazyLoader`` recipe)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    import review.auth as auth
    import review.decisions as decisions
    import review.service as service
    from flows.settings import Settings
    from review.users import UserInfo
else:
    # Loaded on first use: SQLAlchemy would add a third of a second to every --help.
    service = _lazy_module("review.service")
    decisions = _lazy_module("review.decisions")
    auth = _lazy_module("review.auth")

NOTHING_TO_CLAIM_EXIT = 3
R = TypeVar("R")


class NothingToClaim(click.ClickException):
    """Not a failure, but scripts looping on ``claim`` need to know: exit code 3."""

    exit_code = NOTHING_TO_CLAIM_EXIT


class Format(StrEnum):
    table = "table"
    json = "json"


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    json = "json"
    csv = "csv"


FormatOption = Annotated[Format, typer.Option("--format", help="Output format.")]
ExportFormatOption = Annotated[
    ExportFormat,
    typer.Option("--format", help="jsonl: one record a line; json: one array; csv: a table."),
]
ReviewerOption = Annotated[
    str | None,
    typer.Option(
        "--reviewer",
        envvar="HYDRASWEEP_QUEUE_USER",
        show_envvar=True,
        help="The queue user acting (recorded in the audit log).",
    ),
]
PasswordEnv = Annotated[  # environment only: a flag would show the password in ps
    str | None,
    typer.Option("--queue-password", envvar="HYDRASWEEP_QUEUE_PASSWORD", hidden=True),
]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read your password from stdin (else HYDRASWEEP_QUEUE_PASSWORD, else a prompt).",
    ),
]
MAX_ID = 2**63 - 1  # ids are 64-bit integers in both databases
CaseArgument = Annotated[
    int, typer.Argument(help="Case id.", show_default=False, min=1, max=MAX_ID)
]


class Identity(Enum):
    """Whether a command runs as a logged-in queue user."""

    NONE = "none"  # reads the queue
    OPTIONAL = "optional"  # audited as the user when credentials are given
    REQUIRED = "required"  # refused without valid credentials


@dataclass
class QueueCall:
    """The options every queue command shares: where the queue is, how to print, who acts."""

    output: StrEnum
    queue_url: str | None
    home: str | None
    reviewer: str = ""
    password: str | None = field(default=None, repr=False)
    password_stdin: bool = False

    @property
    def as_json(self) -> bool:
        return self.output in (Format.json, ExportFormat.json)

    def settings(self, **flags: Any) -> Settings:
        from flows.settings import load_settings

        return load_settings(queue_url=self.queue_url, home=self.home, **flags)

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        """The queue engine from flags/env/defaults; queue errors become one-line UserErrors."""
        from review.db import open_queue
        from review.errors import ReviewError

        engine = None
        try:
            engine = open_queue(self.settings().queue_database_url)
            yield engine
        except ReviewError as exc:
            raise UserError(str(exc)) from exc
        finally:
            if engine is not None:
                engine.dispose()

    def run(self, action: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """``action(engine, *args, **kwargs)`` on the queue."""
        with self.engine() as engine:
            return action(engine, *args, **kwargs)

    def act(self, action: Callable[..., R], *args: Any, lead: bool = False, **kwargs: Any) -> R:
        """``run`` as the logged-in reviewer (a lead's action with ``lead``)."""
        with self.engine() as engine:
            self.login(engine, lead=lead)
            return action(engine, *args, **kwargs)

    def login(self, engine: Engine, *, lead: bool = False, people: bool = True) -> UserInfo:
        """The acting user, their password checked; refused (and audited) otherwise."""
        if not self.reviewer:
            raise UserError("say who is acting: --reviewer NAME (or HYDRASWEEP_QUEUE_USER)")
        password = self._password()
        if not password:
            self._deny(engine, "a command without credentials")
            raise UserError(
                f"{self.reviewer}'s password is needed: set HYDRASWEEP_QUEUE_PASSWORD, "
                "pass --password-stdin, or run the command in a terminal"
            )
        try:
            user = auth.authenticate(engine, self.reviewer, password, address=cli_address())
        except (auth.LoginFailed, auth.LoginThrottled) as exc:
            raise UserError(f"{self.reviewer}: {exc}") from exc
        if people and not user.is_person:
            self._deny(engine, "working cases as a service identity")
            raise UserError(f"{user.name} is a service identity: it reads and exports only")
        if lead and not user.is_lead:
            self._deny(engine, "a lead's action")
            raise UserError(f"only leads can do that, and {user.name} is an {user.role}")
        return user

    def actor(self, engine: Engine) -> str:
        """Who an audited read is recorded as: the logged-in user, or this machine's user."""
        if self.reviewer and (self.password is not None or self.password_stdin):
            return self.login(engine, people=False).name
        return f"cli:{getpass.getuser()} (no login)"[:64]

    def _password(self) -> str | None:
        if self.password_stdin:
            return sys.stdin.readline().rstrip("\r\n")
        if self.password is not None:
            return self.password
        if sys.stdin.isatty():
            return str(typer.prompt(f"password for {self.reviewer}", hide_input=True))
        return None

    def _deny(self, engine: Engine, what: str) -> None:
        auth.record_denial(engine, self.reviewer, what, address=cli_address())

    def show_all(self, records: list[Any], table: Callable[[Any], None]) -> None:
        """``records`` as a JSON array, or as ``table`` prints them."""
        if self.as_json:
            render.print_json([record.to_dict() for record in records])
        else:
            table(records)

    def show(self, record: Any, line: str) -> None:
        """``record`` as JSON, or one line for people."""
        if self.as_json:
            render.print_json(record.to_dict() if hasattr(record, "to_dict") else record)
        else:
            typer.echo(line)


def cli_address() -> str:
    """Where a CLI login comes from, for throttling and the audit log."""
    return f"cli:{getpass.getuser()}"[:64]


def _shared_options(
    output: type[StrEnum], default: StrEnum, identity: Identity
) -> list[inspect.Parameter]:
    option = ExportFormatOption if output is ExportFormat else FormatOption
    keyword = inspect.Parameter.KEYWORD_ONLY
    shared = [
        inspect.Parameter("output", keyword, default=default, annotation=option),
        inspect.Parameter("queue_url", keyword, default=None, annotation=QueueUrlOption),
        inspect.Parameter("home", keyword, default=None, annotation=HomeOption),
    ]
    if identity is not Identity.NONE:
        shared[:0] = [
            inspect.Parameter("acting_user", keyword, default=None, annotation=ReviewerOption),
            inspect.Parameter("acting_password", keyword, default=None, annotation=PasswordEnv),
            inspect.Parameter(
                "acting_password_stdin", keyword, default=False, annotation=PasswordStdin
            ),
        ]
    return shared


def queue_command(
    app: typer.Typer,
    name: str,
    output: type[StrEnum] = Format,
    default: StrEnum = Format.table,
    *,
    identity: Identity = Identity.NONE,
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register ``fn(call, ...)`` as ``name`` with ``--format``, ``--queue-url`` and ``--home``
    (and ``--reviewer`` with its password options when the command has an ``identity``).

    The command's own options are ``fn``'s parameters after the first; typer
    sees the shared ones appended to its signature and they reach ``fn`` as
    one ``QueueCall``.
    """

    def decorate(fn: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(fn)
        def command(
            *args: Any, output: StrEnum, queue_url: str | None, home: str | None, **kw: Any
        ) -> None:
            call = QueueCall(
                output,
                queue_url,
                home,
                reviewer=(kw.pop("acting_user", None) or "").strip(),
                password=kw.pop("acting_password", None),
                password_stdin=kw.pop("acting_password_stdin", False),
            )
            fn(call, *args, **kw)

        own = list(inspect.signature(fn, eval_str=True).parameters.values())[1:]
        command.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            own + _shared_options(output, default, identity), return_annotation=None
        )
        app.command(name)(command)
        return fn

    return decorate


queue_app = typer.Typer(help="Work the review queue.", no_args_is_help=True)
users_app = typer.Typer(help="Console users (log in to `queue serve`).", no_args_is_help=True)
queue_app.add_typer(users_app, name="users")


def register(app: typer.Typer) -> None:
    app.add_typer(queue_app, name="queue")


# --- reading ------------------------------------------------------------------
@queue_command(queue_app, "list")
def list_command(
    call: QueueCall,
    status: Annotated[
        CaseFilter,
        typer.Option("--status", help="Which cases; active = open, claimed or escalated."),
    ] = CaseFilter.OPEN,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many cases.")] = 50,
    search: Annotated[
        str | None, typer.Option("--search", help="A case id, cluster id or account id.")
    ] = None,
    sort: Annotated[
        CaseSort, typer.Option("--sort", help="Order, largest or latest first.")
    ] = CaseSort.PRIORITY,
    family: Annotated[
        str | None, typer.Option("--family", help="Only cases whose reasons name this family.")
    ] = None,
    model_version: Annotated[
        str | None, typer.Option("--model-version", help="Only cases this model version flagged.")
    ] = None,
    min_accounts: Annotated[
        int | None, typer.Option("--min-accounts", min=1, help="Only cases this large.")
    ] = None,
) -> None:
    """List cases by priority (risk x output tokens), highest first, or another order."""
    wanted: dict[str, Any] = {"search": search, "sort": sort, "family": family}
    wanted |= {"model_version": model_version, "min_accounts": min_accounts}
    with call.engine() as engine:
        cases = service.list_cases(engine, status=status, limit=limit, **wanted)
        counts = service.count_cases(engine)
    if call.as_json:
        render.print_json(
            {"status": status.value, "counts": counts, "cases": [c.to_dict() for c in cases]}
        )
        return
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "empty"
    render.print_cases(cases, f"{status.value} cases ({summary})")


MembersOption = Annotated[
    int, typer.Option("--members", min=0, help="Members to show, highest score first (0: all).")
]
MembersPage = Annotated[int, typer.Option("--page", min=1, help="Which page of members.")]
EntityFilter = Annotated[
    str | None, typer.Option("--entity", help="Only members linked to TYPE:VALUE.")
]


@queue_command(queue_app, "show")
def show_command(
    call: QueueCall,
    case_id: CaseArgument,
    members: MembersOption = 100,
    page: MembersPage = 1,
    entity: EntityFilter = None,
) -> None:
    """Show one case: a page of members, reasons, linking evidence, samples, decisions."""
    detail = call.run(service.get_case, case_id, members=_member_page(members, page, entity))
    if call.as_json:
        render.print_json(detail.to_dict())
    else:
        render.print_case(detail, feature_descriptions())


def _member_page(members: int, page: int, entity: str | None) -> Any:
    kind, _, value = (entity or "").partition(":")
    return service.MemberQuery(
        offset=(page - 1) * members,
        limit=members or None,
        entity=(kind, value) if entity else None,
    )


def feature_descriptions() -> dict[str, str]:
    """Feature name -> description, from the declared feature set (reasons in words)."""
    from features.feature_set import FEATURE_SET

    return {spec.name: spec.description for spec in FEATURE_SET.specs}


@queue_command(queue_app, "audit", identity=Identity.REQUIRED)
def audit_command(
    call: QueueCall,
    case_id: Annotated[
        int | None, typer.Option("--case", min=1, max=MAX_ID, help="Only this case.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 100,
    verify: Annotated[
        bool, typer.Option("--verify", help="Check the whole log's hash chain instead.")
    ] = False,
) -> None:
    """Read the append-only audit log, newest first (leads), or verify it has not been edited."""
    from review.audit import verify_chain

    if verify:
        check = call.act(verify_chain, lead=True)
        call.show(check, render.chain_line(check))
        if not check.intact:
            raise typer.Exit(1)
        return
    entries = call.act(service.read_audit, case_id=case_id, limit=limit, lead=True)
    call.show_all(entries, render.print_audit)


# --- working cases --------------------------------------------------------------
@queue_command(queue_app, "claim", identity=Identity.REQUIRED)
def claim_command(
    call: QueueCall,
    case_id: Annotated[
        int | None,
        typer.Option("--case", min=1, max=MAX_ID, help="Claim this case instead of the next one."),
    ] = None,
    escalated: Annotated[
        bool, typer.Option("--escalated", help="Also take escalated cases (leads), first.")
    ] = False,
    lease_minutes: Annotated[
        int, typer.Option("--lease-minutes", min=1, help="The claim lapses after this long.")
    ] = 30,
) -> None:
    """Claim the most urgent free case (exit code 3 when none is free)."""
    policy = service.ClaimPolicy(
        lease=timedelta(minutes=lease_minutes), include_escalated=escalated
    )
    with call.engine() as engine:
        call.login(engine, lead=escalated)
        if case_id is None:
            claimed = service.claim_next_case(engine, call.reviewer, policy=policy)
        else:
            claimed = service.claim_case(engine, case_id, call.reviewer, policy=policy)
        detail = (
            service.get_case(engine, claimed.id, members=_member_page(100, 1, None))
            if claimed is not None
            else None
        )
    if detail is None:
        if call.as_json:
            render.print_json({"case": None, "message": "no case is free to claim"})
        raise NothingToClaim("no case is free to claim")
    if call.as_json:
        render.print_json(detail.to_dict())
        return
    typer.echo(
        f"claimed case {detail.case.id} for {call.reviewer} until "
        f"{detail.case.claim_expires_at:%Y-%m-%d %H:%M} UTC"
    )
    render.print_case(detail, feature_descriptions())


@queue_command(queue_app, "release", identity=Identity.REQUIRED)
def release_command(call: QueueCall, case_id: CaseArgument) -> None:
    """Give a case you hold back to the queue."""
    case = call.act(service.release_case, case_id, call.reviewer)
    call.show(case, f"released case {case.id}: {case.status}")


@queue_command(queue_app, "decide", identity=Identity.REQUIRED)
def decide_command(
    call: QueueCall,
    case_id: CaseArgument,
    outcome: Annotated[
        Outcome,
        typer.Option(
            "--outcome", help="abuse, legitimate, or mixed (then --account for every member)."
        ),
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why: required, kept in the audit log.")],
    account: Annotated[
        list[str] | None,
        typer.Option("--account", help="ACCOUNT=abuse|legitimate; repeat per account."),
    ] = None,
    except_accounts: Annotated[
        list[str] | None,
        typer.Option("--except", help="An account that gets the other outcome; repeat."),
    ] = None,
    except_entities: Annotated[
        list[str] | None,
        typer.Option(
            "--except-entity", help="TYPE:VALUE: its linked members get the other outcome."
        ),
    ] = None,
    members_version: Annotated[
        int | None,
        typer.Option(
            "--members-version",
            min=1,
            max=MAX_ID,
            help="The members version `show` printed (default: the one your claim printed).",
        ),
    ] = None,
) -> None:
    """Decide a case you hold; it closes, and its labels flow to training on export.

    Refused when accounts joined or left the case since you saw it.
    """
    per_account = _parse_account_outcomes(account or [])
    decision = call.act(
        decisions.decide_case,
        case_id,
        reviewer=call.reviewer,
        outcome=outcome,
        reason=reason,
        account_outcomes=per_account,
        except_accounts=except_accounts or [],
        except_entities=[_entity(e) for e in except_entities or []],
        members_version=members_version,
    )
    if call.as_json:
        render.print_json(decision.to_dict())
    else:
        render.print_decision(decision)


EscalationReason = Annotated[str, typer.Option("--reason", help="Why a lead should look.")]
CommentText = Annotated[str, typer.Option("--text", help="The comment.")]


@queue_command(queue_app, "escalate", identity=Identity.REQUIRED)
def escalate_command(call: QueueCall, case_id: CaseArgument, reason: EscalationReason) -> None:
    """Pass a case you hold to the leads."""
    case = call.act(service.escalate_case, case_id, reviewer=call.reviewer, reason=reason)
    call.show(case, f"case {case.id} escalated by {call.reviewer}")


@queue_command(queue_app, "comment", identity=Identity.REQUIRED)
def comment_command(call: QueueCall, case_id: CaseArgument, text: CommentText) -> None:
    """Add a comment to a case."""
    comment = call.act(service.add_comment, case_id, author=call.reviewer, text=text)
    call.show(comment, f"comment {comment.id} added to case {case_id}")


@queue_command(queue_app, "reassign", identity=Identity.REQUIRED)
def reassign_command(
    call: QueueCall,
    case_id: CaseArgument,
    to: Annotated[str, typer.Option("--to", help="Reviewer who gets the case.")],
    note: Annotated[str | None, typer.Option("--note", help="Optional note on the case.")] = None,
) -> None:
    """Hand a case to another reviewer (a lead's action: --reviewer is the lead)."""
    case = call.act(
        service.reassign_case, case_id, to_reviewer=to, actor=call.reviewer, note=note, lead=True
    )
    call.show(case, f"case {case.id} reassigned to {to} by {call.reviewer}")


def _entity(value: str) -> tuple[str, str]:
    kind, sep, rest = value.partition(":")
    if not sep or not kind or not rest:
        raise UserError(f"--except-entity {value!r}: expected TYPE:VALUE")
    return kind, rest


def _parse_account_outcomes(values: list[str]) -> dict[str, str]:
    outcomes: dict[str, str] = {}
    for value in values:
        account_id, sep, outcome = value.rpartition("=")
        if not sep or not account_id or outcome not in ACCOUNT_OUTCOMES:
            raise UserError(f"--account {value!r}: expected ACCOUNT=abuse or ACCOUNT=legitimate")
        outcomes[account_id] = outcome
    return outcomes


# --- exports ---------------------------------------------------------------------
DateOption = Annotated[
    str | None,
    typer.Option("--date", help="Only the accounts flagged on this sweep day (YYYY-MM-DD)."),
]
OutputFileOption = Annotated[
    Path | None, typer.Option("--output", help="Write here instead of stdout.")
]
LabelsFlag = Annotated[
    bool,
    typer.Option(
        "--labels", hidden=True, help="Deprecated: use `queue export-labels`, which this runs."
    ),
]


@queue_command(queue_app, "export", ExportFormat, ExportFormat.jsonl, identity=Identity.OPTIONAL)
def export_command(
    call: QueueCall,
    day: DateOption = None,
    case_id: Annotated[
        int | None,
        typer.Option("--case", min=1, max=MAX_ID, help="Instead: every member of this case."),
    ] = None,
    to_file: OutputFileOption = None,
    labels: LabelsFlag = False,
    lake: LakeOption = None,
) -> None:
    """Export flagged accounts (account_id, case_id, cluster_id, score, sweep_date, reasons),
    or with --case a case's members; as jsonl, json or csv."""
    from review.exports import records_csv

    if labels:  # the old spelling of export-labels
        _export_labels(call, lake)
        return
    columns: Sequence[str]
    with call.engine() as engine:
        actor = call.actor(engine)
        if case_id is None:
            records = service.export_flagged(engine, sweep_date=_parse_date(day), actor=actor)
            columns = FLAGGED_COLUMNS
        else:
            records = service.case_members_export(engine, case_id, actor=actor)
            columns = list(records[0]) if records else []
    if call.output == ExportFormat.csv:
        body = records_csv(records, columns)
    elif call.as_json:
        body = json.dumps(records, indent=2, sort_keys=True, default=str) + "\n"
    else:
        body = "".join(json.dumps(r, sort_keys=True, default=str) + "\n" for r in records)
    if to_file is None:
        sys.stdout.write(body)
    else:
        to_file.write_text(body, encoding="utf-8")
        typer.echo(f"wrote {len(records)} records to {to_file}", err=True)


FLAGGED_COLUMNS = ("account_id", "case_id", "cluster_id", "score", "sweep_date", "reasons")


@queue_command(queue_app, "export-labels", identity=Identity.REQUIRED)
def export_labels_command(call: QueueCall, lake: LakeOption = None) -> None:
    """Write every decision to the lake as training labels (labels/review-decisions.jsonl)."""
    _export_labels(call, lake)


def _export_labels(call: QueueCall, lake: str | None) -> None:
    from lakeio import LakeError, open_store
    from review.feedback import export_labels

    settings = call.settings(lake=lake)
    try:
        store = open_store(settings.lake_uri)
    except LakeError as exc:
        raise UserError(str(exc)) from exc
    with call.engine() as engine:
        user = call.login(engine, people=False)
        result = export_labels(engine, store, actor=user.name)
    call.show(
        {
            "key": result.key,
            "labels": result.labels,
            "abuse": result.abuse,
            "legitimate": result.legitimate,
            "lake": settings.lake_uri,
        },
        f"wrote {result.labels} review labels ({result.abuse} abuse, "
        f"{result.legitimate} legitimate) to {settings.lake_uri}/{result.key}",
    )


def _parse_date(day: str | None) -> date | None:
    try:
        return date.fromisoformat(day) if day else None
    except ValueError as exc:
        raise UserError(f"--date {day!r} is not a date (YYYY-MM-DD)") from exc


# --- enforcement ---------------------------------------------------------------------------
enforce_app = typer.Typer(
    help="The enforcement outbox: deliver actions to the account system, retry, undo.",
    no_args_is_help=True,
)
queue_app.add_typer(enforce_app, name="enforce")


@queue_command(enforce_app, "dispatch")
def enforce_dispatch_command(
    call: QueueCall,
    webhook_url: Annotated[
        str,
        typer.Option(
            "--webhook-url", envvar="HYDRASWEEP_ENFORCEMENT_URL", help="The account system's hook."
        ),
    ],
    secret_file: Annotated[
        Path,
        typer.Option(
            "--secret-file",
            envvar="HYDRASWEEP_ENFORCEMENT_SECRET_FILE",
            help="The HMAC key shared with the account system (a file, not a flag).",
        ),
    ],
    every: Annotated[
        float, typer.Option("--every", min=0, help="Keep going, every this many seconds (0: once).")
    ] = 0,
) -> None:
    """Deliver the released enforcement actions, signed; failures retry with backoff."""
    from review.enforcement import Webhook, dispatch_due

    secret = secret_file.read_bytes().strip()
    if len(secret) < 16:
        raise UserError(f"{secret_file} holds fewer than 16 bytes: not a key")
    hook = Webhook(webhook_url, secret)
    while True:
        result = call.run(dispatch_due, hook)
        call.show(
            result,
            f"delivered {result.delivered}, retrying {result.retrying}, dead {result.dead}",
        )
        if not every:
            return
        time.sleep(every)


@queue_command(enforce_app, "list")
def enforce_list_command(
    call: QueueCall,
    status: Annotated[
        DeliveryStatus | None, typer.Option("--status", help="Only actions in this state.")
    ] = None,
    case_id: Annotated[
        int | None, typer.Option("--case", min=1, max=MAX_ID, help="Only this case.")
    ] = None,
) -> None:
    """List enforcement actions, newest first."""
    from review.enforcement import list_actions

    call.show_all(call.run(list_actions, status=status, case_id=case_id), render.print_actions)


@queue_command(enforce_app, "retry", identity=Identity.REQUIRED)
def enforce_retry_command(
    call: QueueCall,
    action_ids: Annotated[list[int], typer.Argument(help="Dead actions to try again.")],
) -> None:
    """Give dead actions a fresh set of tries (a lead's action)."""
    from review.enforcement import retry_dead

    retried = call.act(retry_dead, action_ids, actor=call.reviewer, lead=True)
    call.show({"retried": retried}, f"{retried} action(s) will be tried again")


@queue_command(enforce_app, "undo", identity=Identity.REQUIRED)
def enforce_undo_command(
    call: QueueCall,
    case_id: CaseArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why it is undone.")],
) -> None:
    """Undo a case's enforcement: unsent actions cancelled, an undo for each one sent (leads)."""
    from review.enforcement import undo_enforcement

    done = call.act(undo_enforcement, case_id, actor=call.reviewer, reason=reason, lead=True)
    call.show(
        {"cancelled": done.cancelled, "undone": done.undone},
        f"case {case_id}: {done.cancelled} cancelled, {done.undone} undo(s) queued",
    )


# --- indicator sharing -------------------------------------------------------------------
indicators_app = typer.Typer(
    help="Share what confirmed campaigns used, as STIX 2.1 bundles.", no_args_is_help=True
)
queue_app.add_typer(indicators_app, name="indicators")
SharingKeyOption = Annotated[
    Path,
    typer.Option(
        "--sharing-key-file",
        envvar="HYDRASWEEP_SHARING_KEY_FILE",
        help="The key the partners agreed on for keyed hashes (a file, not a flag).",
    ),
]


@queue_command(indicators_app, "export", identity=Identity.REQUIRED)
def indicators_export_command(
    call: QueueCall,
    sharing_key_file: SharingKeyOption,
    producer: Annotated[str, typer.Option("--producer", help="Who shares (a STIX identity).")],
    to_file: Annotated[Path, typer.Option("--out", help="Write the bundle here.")],
    tlp: Annotated[str, typer.Option("--tlp", help="clear, green, amber or red.")] = "amber",
) -> None:
    """Export the confirmed campaigns' indicators as a STIX 2.1 bundle (leads; audited)."""
    from review.indicators import export_bundle

    key = sharing_key_file.read_bytes().strip()
    exported = call.act(
        export_bundle, sharing_key=key, producer=producer, tlp=tlp, actor=call.reviewer, lead=True
    )
    to_file.write_text(exported.bundle, encoding="utf-8")
    call.show(
        {"campaigns": exported.campaigns, "indicators": exported.indicators, "file": str(to_file)},
        f"wrote {exported.indicators} indicators of {exported.campaigns} campaigns to {to_file}",
    )


@queue_command(indicators_app, "import", identity=Identity.REQUIRED)
def indicators_import_command(
    call: QueueCall,
    bundle_file: Annotated[Path, typer.Argument(help="A partner's STIX 2.1 bundle (JSON).")],
    source: Annotated[str, typer.Option("--source", help="The partner it comes from.")],
    lake: LakeOption = None,
) -> None:
    """Write a partner's indicators to the lake's indicators/ table (leads)."""
    from lakeio import LakeError, open_store
    from review.indicators import import_bundle

    with call.engine() as engine:
        call.login(engine, lead=True)
    try:
        store = open_store(call.settings(lake=lake).lake_uri)
        result = import_bundle(store, bundle_file.read_text(encoding="utf-8"), source=source)
    except LakeError as exc:
        raise UserError(str(exc)) from exc
    call.show(
        {"key": result.key, "indicators": result.indicators, "skipped": result.skipped},
        f"wrote {result.indicators} indicators to {result.key}"
        + (f"; skipped {sum(result.skipped.values())}" if result.skipped else ""),
    )


# --- running the queue ---------------------------------------------------------------
@queue_command(queue_app, "migrate")
def migrate_command(call: QueueCall) -> None:
    """Create or upgrade the queue schema (every command also does this on start)."""
    from review.migrations import current_revision

    revision = call.run(current_revision)
    call.show({"revision": revision}, f"review queue schema at revision {revision}")


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
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", help="Serve HTTPS with this certificate (PEM).")
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option("--tls-key", help="The certificate's private key (PEM).")
    ] = None,
    secure_cookies: Annotated[
        bool,
        typer.Option(
            "--secure-cookies",
            help="Behind a TLS-terminating proxy: Secure __Host- cookies and HSTS "
            "(on by itself with --tls-cert).",
        ),
    ] = False,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            "--forwarded-allow-ips",
            help="Proxies whose X-Forwarded-For names the client (login throttling by address).",
        ),
    ] = "127.0.0.1",
    queue_url: QueueUrlOption = None,
    home: HomeOption = None,
) -> None:
    """Run the web console for analysts and leads."""
    import uvicorn

    from review.db import redacted_url
    from review.web import create_app

    if (tls_cert is None) != (tls_key is None):
        raise UserError("give both --tls-cert and --tls-key, or neither")
    call = QueueCall(Format.table, queue_url, home)
    settings = call.settings()
    key = _secret_key(secret_key_file or settings.home / "console-secret")
    with call.engine():
        pass  # migrate and fail early, with one line, if the database is unreachable
    secure = secure_cookies or tls_cert is not None
    web_app = create_app(
        settings.queue_database_url,
        key,
        secure_cookies=secure,
        feature_descriptions=feature_descriptions(),
    )
    scheme = "https" if tls_cert is not None else "http"
    typer.echo(
        render.serve_banner(scheme, host, port, redacted_url(settings.queue_database_url), secure),
        err=True,
    )
    uvicorn.run(
        web_app,
        host=host,
        port=port,
        log_level="info",
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
    )


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


# --- users: the database owner's commands, audited as queue-admin:<login> -----------------
def _admin() -> str:
    return f"queue-admin:{getpass.getuser()}"[:64]


@queue_command(users_app, "add")
def users_add_command(
    call: QueueCall,
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[
        Role,
        typer.Option(
            "--role",
            help="analyst; lead (reassigns, reads the audit log); service (a script: reads "
            "and exports only).",
        ),
    ] = Role.ANALYST,
    password: Annotated[
        str | None,
        typer.Option("--password", help="Prefer --password-stdin: flags show up in ps."),
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
    ] = False,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Reset an existing user's role and password (ends their sessions)."
        ),
    ] = False,
) -> None:
    """Add a queue user (or reset one)."""
    from review.users import add_user

    if password_stdin == (password is not None):
        raise UserError("give exactly one of --password and --password-stdin")
    secret = sys.stdin.readline().rstrip("\r\n") if password_stdin else str(password)
    user = call.run(
        add_user, name, role=role, password=secret, replace=replace, admin_actor=_admin()
    )
    call.show(
        {"name": user.name, "role": user.role},
        f"user {user.name} ({user.role}) {'updated' if replace else 'added'}",
    )


UserName = Annotated[str, typer.Argument(help="Login name.")]


def _switch_command(disabled: bool) -> Callable[..., None]:
    """``users disable`` or ``users enable``."""
    verb = "disabled" if disabled else "enabled"

    def switch(call: QueueCall, name: UserName) -> None:
        from review.users import set_disabled

        user = call.run(set_disabled, name, disabled, admin_actor=_admin())
        call.show(render.user_record(user), f"user {render.inert(user.name)} {verb}")

    switch.__doc__ = (
        "Disable a user: their console sessions end and they can no longer log in."
        if disabled
        else "Let a disabled user log in again."
    )
    return switch


queue_command(users_app, "disable")(_switch_command(True))
queue_command(users_app, "enable")(_switch_command(False))


@queue_command(users_app, "list")
def users_list_command(call: QueueCall) -> None:
    """List queue users."""
    from review.users import list_users

    users = call.run(list_users)
    if call.as_json:
        render.print_json([render.user_record(u) for u in users])
        return
    for u in users:
        typer.echo("\t".join([render.inert(u.name), u.role] + (["disabled"] if u.disabled else [])))
