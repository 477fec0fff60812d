"""The totals refresh: members and cases recomputed from their sightings after a landing.

A member's values are a function of its sightings (the latest one's score,
reasons and cluster; the best score; first and last day; summed volumes), and
a case's totals a function of its members. A landing replaces one day's
sightings, so only the members whose sightings changed that day are
recomputed: their totals are summed in SQL and written back in one bulk update
where they changed, a member left with no sighting and no decision is deleted,
and case totals are summed over the members' columns. No sighting is loaded
into the session.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from review.engine import in_chunks
from review.tables import Case, Evidence, Member, Sighting
from review.vocabulary import Outcome

# What a refresh recomputes of a member from its sightings.
MEMBER_REFRESHED = (
    "score",
    "max_score",
    "reasons",
    "cluster_id",
    "first_seen",
    "last_seen",
    "output_tokens",
    "requests",
)
# Of those, what a case's totals read.
_SIGHTING_TOTALS = ("score", "first_seen", "last_seen", "output_tokens", "requests")


@dataclass(frozen=True)
class Resighting:
    """Today's sighting of a member, as the landing wrote it (so it is not read back)."""

    cluster_id: str | None
    score: float
    reasons: list[Any]


@dataclass
class MemberTotals:
    """The columns of a member that its case's totals and the reopen policy read."""

    id: int
    case_id: int
    customer_id: str | None
    outcome: Outcome | None
    added_at: datetime
    score: float
    first_seen: date
    last_seen: date
    output_tokens: int
    requests: int
    gone: bool = False  # no sighting left

    @property
    def kept(self) -> bool:
        """Still in its case: sighted, or decided (a decision outlives its sightings)."""
        return not self.gone or self.outcome is not None


# The member columns read into ``MemberTotals``, in its field order.
_MEMBER_TOTAL_COLUMNS = tuple(
    getattr(Member, f.name) for f in fields(MemberTotals) if f.name != "gone"
)


@dataclass(frozen=True)
class RefreshedMembers:
    kept: dict[int, list[MemberTotals]]  # case id -> the members it keeps
    left: set[int]  # cases that lost a member (its last sighting went, undecided)


def refresh_members(
    session: Session,
    day: date,
    case_ids: list[int],
    resighted: dict[int, Resighting],
    unsighted: set[int],
) -> RefreshedMembers:
    """Recompute the members whose sightings changed on ``day``; what each case keeps.

    ``resighted``: member id -> today's sighting; ``unsighted``: members an
    earlier landing of this day sighted and this one did not.
    """
    changed = _member_values(session, day, sorted(set(resighted) | unsighted), resighted)
    members_by_case: dict[int, list[MemberTotals]] = defaultdict(list)
    for chunk in in_chunks(case_ids):
        query = sa.select(*_MEMBER_TOTAL_COLUMNS).where(Member.case_id.in_(chunk))
        for row in session.execute(query):
            member = MemberTotals(*row)
            if member.id in changed:
                _apply(member, changed[member.id])
            members_by_case[member.case_id].append(member)
    _write_back(session, changed, members_by_case)
    return RefreshedMembers(
        kept={cid: [m for m in members if m.kept] for cid, members in members_by_case.items()},
        left={cid for cid, members in members_by_case.items() if not all(m.kept for m in members)},
    )


def _apply(member: MemberTotals, values: dict[str, Any] | None) -> None:
    if values is None:
        member.gone = True
        return
    for name in _SIGHTING_TOTALS:
        setattr(member, name, values[name])


def _write_back(
    session: Session,
    changed: dict[int, dict[str, Any] | None],
    members_by_case: dict[int, list[MemberTotals]],
) -> None:
    updates = [
        {"id": member_id, **{name: values[name] for name in MEMBER_REFRESHED}}
        for member_id, values in changed.items()
        if values is not None and values["_changed"]
    ]
    if updates:
        session.execute(sa.update(Member), updates)
    gone = [m.id for members in members_by_case.values() for m in members if not m.kept]
    for chunk in in_chunks(gone):
        session.execute(sa.delete(Member).where(Member.id.in_(chunk)))
    # The session's own copies of those members are stale now.
    for member in list(session.identity_map.values()):
        if isinstance(member, Member) and member.id in changed:
            session.expire(member)


def _member_values(
    session: Session, day: date, member_ids: list[int], resighted: dict[int, Resighting]
) -> dict[int, dict[str, Any] | None]:
    """Each member's values from its sightings (None: it has none left).

    The values carry ``_changed``: whether they differ from the member's row.
    The latest sighting gives score, reasons and cluster; when it is today's,
    they are taken from the landing instead of read back.
    """
    values: dict[int, dict[str, Any] | None] = dict.fromkeys(member_ids)
    need_latest: list[int] = []
    for member_id, totals in _sighting_totals(session, member_ids):
        values[member_id] = totals
        today = resighted.get(member_id) if totals["last_seen"] == day else None
        if today is None:
            need_latest.append(member_id)
        else:
            totals.update(score=today.score, reasons=today.reasons, cluster_id=today.cluster_id)
    present = {member_id: v for member_id, v in values.items() if v is not None}
    for member_id, latest in _latest_sightings(session, need_latest):
        present[member_id].update(latest)  # it has sightings: it had totals
    for chunk in in_chunks(list(present)):
        current = sa.select(Member.id, *[getattr(Member, name) for name in MEMBER_REFRESHED])
        for member_id, *row in session.execute(current.where(Member.id.in_(chunk))):
            found = present[member_id]
            found["_changed"] = any(
                found[name] != old for name, old in zip(MEMBER_REFRESHED, row, strict=True)
            )
    return values


def _sighting_totals(session: Session, member_ids: list[int]) -> list[tuple[int, dict[str, Any]]]:
    found = []
    for chunk in in_chunks(member_ids):
        query = (
            sa.select(
                Sighting.member_id,
                sa.func.min(Sighting.sweep_date),
                sa.func.max(Sighting.sweep_date),
                sa.func.max(Sighting.score),
                sa.func.sum(Sighting.output_tokens),
                sa.func.sum(Sighting.requests),
            )
            .where(Sighting.member_id.in_(chunk))
            .group_by(Sighting.member_id)
        )
        for member_id, first, last, max_score, tokens, requests in session.execute(query):
            totals = {
                "first_seen": first,
                "last_seen": last,
                "max_score": max_score,
                "output_tokens": int(tokens),
                "requests": int(requests),
            }
            found.append((member_id, totals))
    return found


def _latest_sightings(session: Session, member_ids: list[int]) -> list[tuple[int, dict[str, Any]]]:
    """Score, reasons and cluster of each member's latest sighting."""
    found = []
    for chunk in in_chunks(member_ids):
        last = (
            sa.select(Sighting.member_id, sa.func.max(Sighting.sweep_date).label("day"))
            .where(Sighting.member_id.in_(chunk))
            .group_by(Sighting.member_id)
            .subquery()
        )
        latest = sa.select(
            Sighting.member_id, Sighting.score, Sighting.reasons, Sighting.cluster_id
        ).join(last, (Sighting.member_id == last.c.member_id) & (Sighting.sweep_date == last.c.day))
        for member_id, score, reasons, cluster_id in session.execute(latest):
            found.append(
                (member_id, {"score": score, "reasons": reasons, "cluster_id": cluster_id})
            )
    return found


def latest_clusters(session: Session, case_ids: list[int]) -> dict[int, str | None]:
    """Each case's cluster as its latest evidence names it."""
    latest: dict[int, str | None] = {}
    for chunk in in_chunks(case_ids):
        query = (
            sa.select(Evidence.case_id, Evidence.cluster_id)
            .where(Evidence.case_id.in_(chunk))
            .order_by(Evidence.sweep_date, Evidence.group_key)
        )
        latest.update(session.execute(query).all())  # later rows win
    return latest


def volume_since_closed(session: Session, case_ids: list[int]) -> dict[int, int]:
    """Output tokens sighted after the day each closed case's decision covered."""
    volume: dict[int, int] = {}
    for chunk in in_chunks(case_ids):
        query = (
            sa.select(Member.case_id, sa.func.sum(Sighting.output_tokens))
            .join(Sighting, Sighting.member_id == Member.id)
            .join(Case, Case.id == Member.case_id)
            .where(Member.case_id.in_(chunk), Sighting.sweep_date > Case.closed_through_date)
            .group_by(Member.case_id)
        )
        volume.update((case_id, int(tokens or 0)) for case_id, tokens in session.execute(query))
    return volume


def refresh_case_totals(
    case: Case, members: list[Member] | list[MemberTotals], cluster_id: str | None
) -> None:
    """Set the case's totals from its members; only changed columns are assigned (and updated)."""
    values: dict[str, Any]
    if not members:
        values = dict(
            accounts_count=0, customers_count=0, output_tokens=0, requests=0, risk=0.0, priority=0.0
        )
    else:
        output_tokens = sum(m.output_tokens for m in members)
        # Risk is the strongest member score: one confidently flagged account is enough
        # to make the cluster worth reading, and volume then says how much is at stake.
        risk = max(m.score for m in members)
        values = dict(
            cluster_id=cluster_id,
            accounts_count=len(members),
            customers_count=len({m.customer_id for m in members if m.customer_id is not None}),
            output_tokens=output_tokens,
            requests=sum(m.requests for m in members),
            risk=risk,
            priority=risk * output_tokens,
            first_seen=min(m.first_seen for m in members),
            last_seen=max(m.last_seen for m in members),
        )
    for name, value in values.items():
        if getattr(case, name) != value:
            setattr(case, name, value)
