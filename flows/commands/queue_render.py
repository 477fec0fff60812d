"""How ``hydrasweep queue`` shows things: JSON for scripts, rich tables for people.

Kept apart from the commands so that each command reads as "do it, then show
it". Everything that came from traffic or from users (titles, reasons,
prompts, entities, account and reviewer names) goes through ``shown``: terminal
control sequences, direction overrides and zero-width characters become
visible escapes (``review.text.inert``), then rich's markup is escaped, so a
prompt cannot recolour, retitle or clear the analyst's terminal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from review.text import inert, link_in_words, reason_in_words
from review.vocabulary import CaseStatus, Outcome

if TYPE_CHECKING:  # the records module loads SQLAlchemy: only commands that query need it
    from review.audit import ChainCheck
    from review.enforcement import ActionView
    from review.records import AuditView, CaseDetail, CaseSummary, DecisionView
    from review.users import UserInfo

__all__ = ["inert"]

_NUMERIC_CASE_COLUMNS = ("priority", "risk", "output tokens", "accounts")


def shown(value: Any) -> str:
    """Untrusted text as inert, markup-escaped text for a rich console."""
    return escape(inert(value))


def print_json(value: Any) -> None:
    from review.records import jsonable

    typer.echo(json.dumps(jsonable(value), indent=2, sort_keys=True))


def console() -> Console:
    return Console(soft_wrap=True, highlight=False)


def tokens(n: int) -> str:
    return f"{n:,}"


def print_cases(cases: list[CaseSummary], title: str) -> None:
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
        table.add_column(column, justify="right" if column in _NUMERIC_CASE_COLUMNS else "left")
    for c in cases:
        escalated = c.escalated and c.status != CaseStatus.ESCALATED
        table.add_row(
            str(c.id),
            c.status + (" (escalated)" if escalated else ""),
            f"{c.priority:,.0f}",
            f"{c.risk:.3f}",
            tokens(c.output_tokens),
            str(c.accounts_count),
            shown(c.cluster_id or "-"),
            c.last_seen.isoformat(),
            shown(c.claimed_by or "-"),
        )
    console().print(table)


def reasons_line(reasons: list[Any], descriptions: Mapping[str, str], top: int = 3) -> str:
    """A member's reasons in one cell: the first ``top`` that speak for the flag, then
    the first that speaks against it (``model_against``), in words."""
    for_it: list[Any] = []
    against: list[Any] = []
    for reason in reasons:
        speaks_against = isinstance(reason, dict) and reason.get("kind") == "model_against"
        (against if speaks_against else for_it).append(reason)
    return "; ".join(reason_in_words(r, descriptions) for r in for_it[:top] + against[:1])


def links_line(links: list[Any], top: int = 2) -> str:
    """A member's links in one cell: the first ``top`` in words, then how many more."""
    if not links:
        return "-"
    more = f" (+{len(links) - top} more)" if len(links) > top else ""
    return "; ".join(link_in_words(link) for link in links[:top]) + more


def print_case(detail: CaseDetail, descriptions: Mapping[str, str] | None = None) -> None:
    c = detail.case
    out = console()
    out.print(
        f"[bold]case {c.id}[/bold]: {shown(c.title)}  status={c.status}  "
        f"priority={c.priority:,.0f}  risk={c.risk:.3f}  tokens={tokens(c.output_tokens)}"
    )
    out.print(
        f"seen {c.first_seen} .. {c.last_seen}; claimed by {shown(c.claimed_by or '-')}; "
        f"outcome {c.outcome or '-'}; members version {c.members_version}"
    )
    page = f"{len(detail.members)} of {detail.members_matching:,}"
    members = Table(title=f"members ({page})")
    columns = (
        "account",
        "customer",
        "score",
        "output tokens",
        "outcome",
        "top reasons",
        "linked by",
    )
    for column in columns:
        members.add_column(column)
    for m in detail.members:
        reasons = reasons_line(m.reasons, descriptions or {})
        members.add_row(
            shown(m.account_id),
            shown(m.customer_id or "-"),
            f"{m.score:.3f}",
            tokens(m.output_tokens),
            m.outcome or "-",
            shown(reasons),
            shown(links_line(m.links)),
        )
    out.print(members)
    _print_evidence(out, detail)
    for d in detail.decisions:
        out.print(
            f"decided {d.outcome} by {shown(d.reviewer)} at {d.decided_at:%Y-%m-%d %H:%M}: "
            f"{shown(d.reason)}"
        )
    for note in detail.comments:
        out.print(
            f"{note.kind} by {shown(note.author)} at {note.created_at:%Y-%m-%d %H:%M}: "
            f"{shown(note.body)}"
        )


def _print_evidence(out: Console, detail: CaseDetail) -> None:
    for ev in detail.evidence:
        out.print(
            f"[bold]evidence {ev.sweep_date}[/bold] cluster {shown(ev.cluster_id or '-')}: "
            f"{ev.accounts_count} accounts, {ev.requests:,} requests, "
            f"{tokens(ev.output_tokens)} output tokens"
        )
        for entity in ev.entities[:10]:
            out.print(
                f"  shared {shown(str(entity.get('type')))} {shown(str(entity.get('value')))} "
                f"({shown(str(entity.get('accounts')))} accounts)"
            )
        for prompt in ev.sample_prompts[:3]:
            out.print("  prompt: " + shown(prompt[:200].replace("\n", " ")))


def print_decision(decision: DecisionView) -> None:
    abuse = sum(1 for v in decision.account_outcomes.values() if v == Outcome.ABUSE)
    typer.echo(
        f"case {decision.case_id} decided {decision.outcome} by {inert(decision.reviewer)}: "
        f"{abuse} abuse, {len(decision.account_outcomes) - abuse} legitimate accounts"
    )


def print_audit(entries: list[AuditView]) -> None:
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
            f"{e.at:%Y-%m-%d %H:%M:%S}", shown(e.actor), e.action, str(e.case_id or "-"), change
        )
    console().print(table)


def chain_line(check: ChainCheck) -> str:
    if check.intact:
        return f"audit log intact: {check.entries} entries, each chained to the one before"
    return (
        f"audit log BROKEN at entry {check.broken_at}: {check.problem} "
        f"({check.entries} entries before it hold)"
    )


def user_record(user: UserInfo) -> dict[str, Any]:
    return {"name": user.name, "role": user.role, "disabled": user.disabled}


def serve_banner(scheme: str, host: str, port: int, queue: str, secure: bool) -> str:
    """What ``queue serve`` says on start; ``queue`` comes with its password masked."""
    cookies = "Secure __Host- cookies, HSTS" if secure else "cookies over plain HTTP"
    return f"review console on {scheme}://{host}:{port}/ (queue {queue}; {cookies})"


def print_actions(actions: list[ActionView]) -> None:
    table = Table(title="enforcement actions")
    for column in ("#", "case", "action", "target", "status", "tries", "release", "last error"):
        table.add_column(column)
    for a in actions:
        table.add_row(
            str(a.id),
            str(a.case_id),
            a.action,
            f"{shown(a.target_type)} {shown(a.target)}",
            a.status,
            str(a.attempts),
            f"{a.release_at:%Y-%m-%d %H:%M}",
            shown(a.last_error or ""),
        )
    console().print(table)
