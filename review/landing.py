"""Land one sweep day's flagged accounts and clusters in the review queue.

The daily flow hands over plain data (``SweepLanding``); this module turns it
into cases, one per hydra cluster and one per flagged account that belongs to
no cluster. Landing is idempotent per day: the day's sightings and evidence
are replaced, never added to, so a rerun (late data, a fixed model) updates the
same cases. A cluster is matched to an existing case by its accounts, not by
its id, because cluster ids are recomputed every day: a campaign seen again
tomorrow attaches to its open case (new members, new evidence, and a higher
priority as its volume grows), and a closed case reopens only when the new
evidence is material (``ReopenPolicy``). New cases wait in a ``deferred``
backlog and enter the open queue by priority, at most ``intake_cap`` a day.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, defer

from review.db import as_engine, is_postgresql, write_session
from review.errors import LandingError
from review.records import add_audit, audit_row, case_state, jsonable
from review.tables import AuditEntry, Case, Evidence, Member, Sighting, Sweep, utcnow

ACTIVE_STATUSES = ("deferred", "open", "claimed", "escalated")
MAX_SAMPLES = 10
MAX_SAMPLE_CHARS = 4000  # the contract's prompt truncation; system prompts are shorter
_PG_LANDING_LOCK = 0x68796473  # serialises landings of any day ("hyds")
_IN_CHUNK = 500  # bound parameters per IN (...) list


@dataclass(frozen=True)
class FlaggedAccount:
    """An account the model flagged on the sweep day."""

    account_id: str
    cluster_id: str | None
    customer_id: str | None
    score: float
    reasons: list[dict[str, Any]]
    output_tokens: int
    requests: int


@dataclass(frozen=True)
class ClusterEvidence:
    """What the sweep saw of one cluster that day.

    A lone account (``cluster_id=None`` on its ``FlaggedAccount``) may get
    evidence too: pass a ``ClusterEvidence`` whose ``cluster_id`` is its account id.
    """

    cluster_id: str
    accounts_count: int
    customers_count: int
    requests: int
    output_tokens: int
    entities: list[dict[str, Any]]  # {"type", "value", "accounts"}
    hourly_requests: list[int]  # 24 values, UTC hours
    sample_prompts: list[str]
    sample_system_prompts: list[str]
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SweepLanding:
    sweep_date: date
    run_id: str
    model_version: str
    accounts: list[FlaggedAccount]
    clusters: list[ClusterEvidence]
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReopenPolicy:
    """When new evidence on a closed case is "material" enough to reopen it.

    Either ``min_new_members`` accounts joined the case after it was closed, or
    the output tokens seen on sweep days after the last day the decision covered
    reach ``volume_growth`` times the volume the reviewer saw. A case dismissed
    as legitimate that simply keeps working at the same pace is not reopened
    every day; one that doubles its extraction (default 1.0), or recruits new
    accounts, is.
    """

    min_new_members: int = 3
    volume_growth: float = 1.0


@dataclass(frozen=True)
class LandingResult:
    sweep_date: date
    accounts: int
    clusters: int
    cases_created: int
    cases_updated: int
    cases_reopened: int
    cases_opened: int  # entered the open queue today (new or from the backlog)
    cases_withdrawn: int  # a rerun of the day no longer flags anything in them
    members_added: int
    capped: int  # cases of this landing left in the backlog by the intake cap
    backlog: int  # all deferred cases after this landing
    evidence_unmatched: int  # cluster evidence whose cluster had no flagged account

    def to_dict(self) -> dict[str, Any]:
        return jsonable(self.__dict__)


@dataclass
class _Group:
    """The accounts of one cluster (or one lone account) and its evidence."""

    key: str
    cluster_id: str | None
    accounts: list[FlaggedAccount]
    evidence: ClusterEvidence | None
    reasons: list[Any] = field(init=False)  # each account's reasons, as stored

    def __post_init__(self) -> None:
        self.reasons = [jsonable(account.reasons) for account in self.accounts]


def land_sweep(
    engine_or_url: Engine | str,
    landing: SweepLanding,
    *,
    intake_cap: int,
    reopen: ReopenPolicy | None = None,
    now: datetime | None = None,
) -> LandingResult:
    """Land ``landing`` in the queue; rerunning the same day updates, never duplicates."""
    if intake_cap < 0:
        raise LandingError(f"intake_cap must be >= 0, got {intake_cap}")
    groups = _groups(landing)
    engine = as_engine(engine_or_url)
    try:
        with write_session(engine) as session:
            if is_postgresql(engine):
                session.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LANDING_LOCK)))
            return _Lander(session, landing, reopen or ReopenPolicy(), now or utcnow()).land(
                groups, intake_cap
            )
    finally:
        if isinstance(engine_or_url, str):
            engine.dispose()  # we opened it, we close it


class _Lander:
    def __init__(
        self, session: Session, landing: SweepLanding, reopen: ReopenPolicy, now: datetime
    ) -> None:
        self.session = session
        self.landing = landing
        self.day = landing.sweep_date
        self.reopen = reopen
        self.now = now
        self.before: dict[int, dict[str, Any] | None] = {}  # case id -> state (None: created)
        self.attached: set[int] = set()
        self.members_added = 0

    def land(self, groups: list[_Group], intake_cap: int) -> LandingResult:
        self._record_sweep()
        account_ids = [a.account_id for g in groups for a in g.accounts]
        members = self._members_of(account_ids)
        previous_case_of_group = dict(
            self.session.execute(
                sa.select(Evidence.group_key, Evidence.case_id).where(
                    Evidence.sweep_date == self.day
                )
            ).all()
        )
        # Members this day sighted before, and their cases: a rerun may take them away.
        sighted_before = self.session.execute(
            sa.select(Member.id, Member.case_id)
            .join(Sighting, Sighting.member_id == Member.id)
            .where(Sighting.sweep_date == self.day)
        ).all()
        earlier = set(previous_case_of_group.values()) | {case_id for _, case_id in sighted_before}
        cases = self._lock_cases(earlier | {m.case_id for m in members})
        for case_id in earlier:
            self._touch(cases[case_id])
        self.session.execute(sa.delete(Sighting).where(Sighting.sweep_date == self.day))
        self.session.execute(sa.delete(Evidence).where(Evidence.sweep_date == self.day))
        self.session.flush()

        cases_of_account: dict[str, list[int]] = defaultdict(list)
        member_of: dict[tuple[int, str], Member] = {}
        for member in members:
            cases_of_account[member.account_id].append(member.case_id)
            member_of[(member.case_id, member.account_id)] = member

        created: list[Case] = []
        placed: list[tuple[Case, _Group, list[Member]]] = []
        for group in groups:
            case = self._match(group, cases_of_account, previous_case_of_group, cases)
            if case is None:
                case = self._new_case(group)
                created.append(case)
            else:
                self._touch(case)
                self.attached.add(case.id)
            members = self._attach(case, group, member_of)
            if case.id is None:
                # A new case's members are all new, seen today only: its totals are
                # final now, so the insert carries them and the refresh passes it by.
                _refresh_case(case, members, group.cluster_id)
            placed.append((case, group, members))
        # One flush inserts the new cases and members, each table in batches (a
        # flush per new row was most of a large landing's time); the day's
        # sightings and evidence, which need their ids, follow as bulk inserts.
        self.session.flush()
        for case in created:
            cases[case.id] = case
            self.before[case.id] = None
        sightings = [
            _sighting_row(member.id, self.day, group.cluster_id, account, reasons)
            for _, group, members in placed
            for member, account, reasons in zip(members, group.accounts, group.reasons, strict=True)
        ]
        if placed:
            self.session.execute(sa.insert(Sighting), sightings)
            self.session.execute(
                sa.insert(Evidence),
                [_evidence_row(case.id, self.day, group) for case, group, _ in placed],
            )
        touched = [cases[case_id] for case_id in sorted(self.before)]
        created_ids = {case.id for case in created}
        resighted = {
            member.id: (group.cluster_id, account, reasons)
            for case, group, members in placed
            if case.id not in created_ids
            for member, account, reasons in zip(members, group.accounts, group.reasons, strict=True)
        }
        unsighted = {member_id for member_id, _ in sighted_before} - set(resighted)
        reopened, withdrawn = self._refresh(
            [case for case in touched if case.id not in created_ids], resighted, unsighted
        )
        opened = self._intake(intake_cap)
        self._audit_changes(touched)
        landed = self.attached | created_ids
        backlog = self.session.scalar(
            sa.select(sa.func.count()).select_from(Case).where(Case.status == "deferred")
        )
        result = LandingResult(
            sweep_date=self.day,
            accounts=len(account_ids),
            clusters=sum(1 for g in groups if g.cluster_id is not None),
            cases_created=len(created),
            cases_updated=len(self.attached - created_ids),
            cases_reopened=reopened,
            cases_opened=opened,
            cases_withdrawn=withdrawn,
            members_added=self.members_added,
            capped=sum(1 for c in touched if c.status == "deferred" and c.id in landed),
            backlog=int(backlog or 0),
            evidence_unmatched=len(
                {c.cluster_id for c in self.landing.clusters}
                - {g.cluster_id for g in groups}
                - {a.account_id for a in self.landing.accounts if a.cluster_id is None}
            ),
        )
        add_audit(
            self.session,
            actor="sweep",
            action="sweep.landed",
            at=self.now,
            detail={
                "run_id": self.landing.run_id,
                "model_version": self.landing.model_version,
                **result.to_dict(),
            },
        )
        return result

    # --- steps ----------------------------------------------------------------
    def _record_sweep(self) -> None:
        sweep = self.session.scalar(sa.select(Sweep).where(Sweep.sweep_date == self.day))
        clusters = {a.cluster_id for a in self.landing.accounts if a.cluster_id is not None}
        values = {
            "run_id": self.landing.run_id[:128],
            "model_version": self.landing.model_version[:128],
            "stats": jsonable(self.landing.stats),
            "accounts_flagged": len(self.landing.accounts),
            "clusters_flagged": len(clusters),
            "landed_at": self.now,
        }
        if sweep is None:
            self.session.add(Sweep(sweep_date=self.day, first_landed_at=self.now, **values))
        else:
            for name, value in values.items():
                setattr(sweep, name, value)
            sweep.land_count += 1

    def _members_of(self, account_ids: list[str]) -> list[Member]:
        found: list[Member] = []
        for chunk in _chunks(account_ids):
            found.extend(
                self.session.scalars(
                    # Reasons are only written here, never read: not decoded either.
                    sa.select(Member)
                    .where(Member.account_id.in_(chunk))
                    .options(defer(Member.reasons))
                )
            )
        return found

    def _lock_cases(self, case_ids: Iterable[int]) -> dict[int, Case]:
        """Load (and on PostgreSQL row-lock) the cases this landing may change."""
        cases: dict[int, Case] = {}
        for chunk in _chunks(sorted(case_ids)):
            query = sa.select(Case).where(Case.id.in_(chunk)).order_by(Case.id).with_for_update()
            cases.update((c.id, c) for c in self.session.scalars(query))
        return cases

    def _touch(self, case: Case) -> None:
        self.before.setdefault(case.id, case_state(case))

    def _match(
        self,
        group: _Group,
        cases_of_account: dict[str, list[int]],
        previous_case_of_group: dict[str, int],
        cases: dict[int, Case],
    ) -> Case | None:
        """The case this group belongs to: the one sharing most of its accounts.

        An active case wins over a closed one (the campaign is still being worked);
        ties go to the most recent case. A rerun of the day finds the same case
        through the members it created the first time.
        """
        overlap: Counter[int] = Counter()
        for account in group.accounts:
            overlap.update(cases_of_account.get(account.account_id, ()))
        previous = previous_case_of_group.get(group.key)
        if previous is not None and previous in cases:
            overlap[previous] += 0  # a candidate even if its accounts all changed
        candidates = [cases[c] for c in overlap if cases[c].status != "withdrawn"]
        if not candidates:
            return None
        return max(
            candidates,
            key=lambda c: (c.status in ACTIVE_STATUSES, overlap[c.id], c.id),
        )

    def _new_case(self, group: _Group) -> Case:
        title = (
            f"cluster {group.cluster_id}"
            if group.cluster_id is not None
            else f"account {group.accounts[0].account_id}"
        )
        case = Case(
            title=title[:300],
            cluster_id=group.cluster_id,
            status="deferred",
            escalated=False,
            risk=0.0,
            output_tokens=0,
            requests=0,
            priority=0.0,
            accounts_count=0,
            customers_count=0,
            first_seen=self.day,
            last_seen=self.day,
            reopen_count=0,
            created_at=self.now,
            updated_at=self.now,
        )
        self.session.add(case)
        return case

    def _attach(
        self, case: Case, group: _Group, member_of: dict[tuple[int, str], Member]
    ) -> list[Member]:
        """The case's members for the group's accounts, in their order; new ones are added.

        Nothing is flushed here: a new case has no id yet, and its new members
        reach it through their relationship. An account is in one group only,
        so a member made here is never looked up again in this landing. A new
        member starts with the values today's sighting gives it (``_refresh``
        would compute the same).
        """
        members = []
        for account, reasons in zip(group.accounts, group.reasons, strict=True):
            member = member_of.get((case.id, account.account_id)) if case.id is not None else None
            if member is None:
                # Today's sighting is its only one: these are its refreshed values.
                member = Member(
                    case=case,
                    account_id=account.account_id,
                    customer_id=account.customer_id,
                    score=account.score,
                    max_score=account.score,
                    reasons=reasons,
                    cluster_id=group.cluster_id,
                    first_seen=self.day,
                    last_seen=self.day,
                    output_tokens=account.output_tokens,
                    requests=account.requests,
                    added_at=self.now,
                )
                self.session.add(member)
                self.members_added += 1
            elif account.customer_id is not None:
                member.customer_id = account.customer_id
            members.append(member)
        return members

    def _refresh(
        self,
        cases: list[Case],
        resighted: dict[int, tuple[str | None, FlaggedAccount, list[Any]]],
        unsighted: set[int],
    ) -> tuple[int, int]:
        """Recompute members and case totals from sightings; reopen or withdraw cases.

        A member's values are a function of its sightings, so only members whose
        sightings changed today are recomputed: ``resighted`` (member id ->
        cluster, account and stored reasons of today's sighting) and
        ``unsighted`` (sighted on this day by an earlier landing, not by this
        one). Their totals are summed in SQL and written back in one bulk
        update where they changed; a member left with no sighting and no
        decision is deleted. Case totals are then summed over the case's
        members' columns; no sighting is loaded into the session.
        """
        changed = self._member_values(sorted(set(resighted) | unsighted), resighted)
        members_by_case: dict[int, list[_MemberTotals]] = defaultdict(list)
        for chunk in _chunks([case.id for case in cases]):
            for row in self.session.execute(
                sa.select(*_MEMBER_TOTAL_COLUMNS).where(Member.case_id.in_(chunk))
            ):
                member = _MemberTotals(*row)
                if member.id in changed:
                    values = changed[member.id]
                    if values is None:
                        member.gone = True
                    else:
                        for name in _SIGHTING_TOTALS:
                            setattr(member, name, values[name])
                members_by_case[member.case_id].append(member)
        gone = [
            m.id
            for members in members_by_case.values()
            for m in members
            if m.gone and not m.outcome
        ]
        updates = [
            {"id": member_id, **{name: values[name] for name in _MEMBER_REFRESHED}}
            for member_id, values in changed.items()
            if values is not None and values["_changed"]
        ]
        if updates:
            self.session.execute(sa.update(Member), updates)
        for chunk in _chunks(gone):
            self.session.execute(sa.delete(Member).where(Member.id.in_(chunk)))
        # The session's own copies of those members are stale now.
        for member in list(self.session.identity_map.values()):
            if isinstance(member, Member) and member.id in changed:
                self.session.expire(member)

        ids = [case.id for case in cases]
        # Each case's cluster as its latest evidence names it (later rows win).
        latest_cluster: dict[int, str | None] = {}
        for chunk in _chunks(ids):
            latest_cluster.update(
                self.session.execute(
                    sa.select(Evidence.case_id, Evidence.cluster_id)
                    .where(Evidence.case_id.in_(chunk))
                    .order_by(Evidence.sweep_date, Evidence.group_key)
                ).all()
            )
        closed = [case.id for case in cases if case.status == "closed"]
        volume_since = self._volume_since_closed(closed)
        reopened = withdrawn = 0
        for case in cases:
            kept = [m for m in members_by_case[case.id] if not m.gone or m.outcome is not None]
            _refresh_case(case, kept, latest_cluster.get(case.id, case.cluster_id))
            if case.status == "closed" and self._material(case, kept, volume_since):
                case.status = "open"
                case.outcome = None
                case.reopen_count += 1
                reopened += 1
            elif not kept and case.status in ACTIVE_STATUSES:
                case.status = "withdrawn"
                case.claimed_by = case.claimed_at = case.claim_expires_at = None
                withdrawn += 1
        self.session.flush()
        return reopened, withdrawn

    def _member_values(
        self,
        member_ids: list[int],
        resighted: dict[int, tuple[str | None, FlaggedAccount, list[Any]]],
    ) -> dict[int, dict[str, Any] | None]:
        """Each member's values from its sightings (None: it has none left).

        The values carry ``_changed``: whether they differ from the member's row.
        The latest sighting gives score, reasons and cluster; when it is today's,
        they are taken from the landing instead of read back.
        """
        values: dict[int, dict[str, Any] | None] = dict.fromkeys(member_ids)
        need_latest: list[int] = []
        for chunk in _chunks(member_ids):
            totals = (
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
            for member_id, first, last, max_score, tokens, requests in self.session.execute(totals):
                value = values[member_id] = {
                    "first_seen": first,
                    "last_seen": last,
                    "max_score": max_score,
                    "output_tokens": int(tokens),
                    "requests": int(requests),
                }
                if last == self.day and member_id in resighted:
                    cluster_id, account, reasons = resighted[member_id]
                    value.update(score=account.score, reasons=reasons, cluster_id=cluster_id)
                else:
                    need_latest.append(member_id)
        for chunk in _chunks(need_latest):
            last = (
                sa.select(Sighting.member_id, sa.func.max(Sighting.sweep_date).label("day"))
                .where(Sighting.member_id.in_(chunk))
                .group_by(Sighting.member_id)
                .subquery()
            )
            latest = sa.select(
                Sighting.member_id, Sighting.score, Sighting.reasons, Sighting.cluster_id
            ).join(
                last, (Sighting.member_id == last.c.member_id) & (Sighting.sweep_date == last.c.day)
            )
            for member_id, score, reasons, cluster_id in self.session.execute(latest):
                value = values[member_id]
                assert value is not None  # it has sightings: it had totals
                value.update(score=score, reasons=reasons, cluster_id=cluster_id)
        present = [member_id for member_id, value in values.items() if value is not None]
        for chunk in _chunks(present):
            current = sa.select(Member.id, *[getattr(Member, name) for name in _MEMBER_REFRESHED])
            for member_id, *row in self.session.execute(current.where(Member.id.in_(chunk))):
                value = values[member_id]
                assert value is not None
                value["_changed"] = any(
                    value[name] != old for name, old in zip(_MEMBER_REFRESHED, row, strict=True)
                )
        return values

    def _volume_since_closed(self, case_ids: list[int]) -> dict[int, int]:
        """Output tokens sighted after the day each closed case's decision covered."""
        volume: dict[int, int] = {}
        for chunk in _chunks(case_ids):
            query = (
                sa.select(Member.case_id, sa.func.sum(Sighting.output_tokens))
                .join(Sighting, Sighting.member_id == Member.id)
                .join(Case, Case.id == Member.case_id)
                .where(Member.case_id.in_(chunk), Sighting.sweep_date > Case.closed_through_date)
                .group_by(Member.case_id)
            )
            volume.update(
                (case_id, int(tokens or 0)) for case_id, tokens in self.session.execute(query)
            )
        return volume

    def _material(
        self, case: Case, members: list[_MemberTotals], volume_since: dict[int, int]
    ) -> bool:
        if case.closed_at is None or case.closed_through_date is None:
            return False
        new_members = sum(1 for m in members if m.added_at > case.closed_at)
        volume = volume_since.get(case.id, 0)
        baseline = case.closed_output_tokens or 0
        return new_members >= self.reopen.min_new_members or (
            volume > 0 and volume >= self.reopen.volume_growth * baseline
        )

    def _intake(self, intake_cap: int) -> int:
        """Open backlog cases by priority until today's intake reaches the cap.

        Counting cases already opened for this day keeps a rerun from opening
        another batch.
        """
        used = self.session.scalar(
            sa.select(sa.func.count()).select_from(Case).where(Case.intake_date == self.day)
        )
        capacity = max(0, intake_cap - int(used or 0))
        if capacity == 0:
            return 0
        query = (
            sa.select(Case)
            .where(Case.status == "deferred")
            .order_by(Case.priority.desc(), Case.id)
            .limit(capacity)
            .with_for_update()
        )
        opened = 0
        for case in self.session.scalars(query):
            self._touch(case)
            case.status = "open"
            case.intake_date = self.day
            case.updated_at = self.now
            opened += 1
        self.session.flush()
        return opened

    def _audit_changes(self, touched: list[Case]) -> None:
        """One audit entry per case this landing changed, inserted in one batch.

        Through the session each entry would be a row-at-a-time insert on SQLite
        (the ORM wants every new id back, which SQLite cannot return in order for
        a batch): ten thousand new cases made that most of a first landing.
        """
        by_id = {c.id: c for c in touched}
        rows = []
        for case_id in sorted(self.before):
            case = by_id.get(case_id) or self.session.get(Case, case_id)
            assert case is not None
            before, after = self.before[case_id], case_state(case)
            if before == after:
                continue
            if before is None:
                action = "case.created"
            elif before["status"] == "closed" and after["status"] == "open":
                action = "case.reopened"
            elif after["status"] == "withdrawn" and before["status"] != "withdrawn":
                action = "case.withdrawn"
            else:
                action = "case.updated"
            case.updated_at = self.now
            rows.append(
                audit_row(
                    actor="sweep",
                    action=action,
                    at=self.now,
                    case_id=case_id,
                    before=before,
                    after=after,
                    detail={"sweep_date": self.day, "run_id": self.landing.run_id},
                )
            )
        if rows:
            self.session.execute(sa.insert(AuditEntry), rows)


# What a refresh recomputes of a member from its sightings: the latest sighting's
# score, reasons and cluster; the best score; the first and last day; the volumes.
_MEMBER_REFRESHED = (
    "score",
    "max_score",
    "reasons",
    "cluster_id",
    "first_seen",
    "last_seen",
    "output_tokens",
    "requests",
)


@dataclass
class _MemberTotals:
    """The columns of a member that its case's totals and the reopen policy read."""

    id: int
    case_id: int
    customer_id: str | None
    outcome: str | None
    added_at: datetime
    score: float
    first_seen: date
    last_seen: date
    output_tokens: int
    requests: int
    gone: bool = False  # no sighting left


# The member columns read into ``_MemberTotals``, in its field order.
_MEMBER_TOTAL_COLUMNS = tuple(
    getattr(Member, f.name) for f in fields(_MemberTotals) if f.name != "gone"
)
_SIGHTING_TOTALS = ("score", "first_seen", "last_seen", "output_tokens", "requests")


def _refresh_case(
    case: Case, members: list[Member] | list[_MemberTotals], cluster_id: str | None
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


def _sighting_row(
    member_id: int, day: date, cluster_id: str | None, account: FlaggedAccount, reasons: list[Any]
) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "sweep_date": day,
        "cluster_id": cluster_id,
        "score": account.score,
        "reasons": reasons,
        "output_tokens": account.output_tokens,
        "requests": account.requests,
    }


def _evidence_row(case_id: int, day: date, group: _Group) -> dict[str, Any]:
    accounts = group.accounts
    ev = group.evidence
    if ev is None:  # no evidence given: summarise what the accounts themselves say
        return dict(
            case_id=case_id,
            sweep_date=day,
            group_key=group.key,
            cluster_id=group.cluster_id,
            accounts_count=len(accounts),
            customers_count=len({a.customer_id for a in accounts if a.customer_id is not None}),
            requests=sum(a.requests for a in accounts),
            output_tokens=sum(a.output_tokens for a in accounts),
            entities=[],
            hourly_requests=[],
            sample_prompts=[],
            sample_system_prompts=[],
            extra={},
        )
    return dict(
        case_id=case_id,
        sweep_date=day,
        group_key=group.key,
        cluster_id=group.cluster_id,
        accounts_count=ev.accounts_count,
        customers_count=ev.customers_count,
        requests=ev.requests,
        output_tokens=ev.output_tokens,
        entities=jsonable(ev.entities),
        hourly_requests=[int(v) for v in ev.hourly_requests],
        sample_prompts=[jsonable(p[:MAX_SAMPLE_CHARS]) for p in ev.sample_prompts[:MAX_SAMPLES]],
        sample_system_prompts=[
            jsonable(p[:MAX_SAMPLE_CHARS]) for p in ev.sample_system_prompts[:MAX_SAMPLES]
        ],
        extra=jsonable(ev.extra),
    )


def _groups(landing: SweepLanding) -> list[_Group]:
    """Validate the landing and split it into clusters and lone accounts, in a stable order."""
    if not isinstance(landing.sweep_date, date) or isinstance(landing.sweep_date, datetime):
        raise LandingError(f"sweep_date must be a date, got {landing.sweep_date!r}")
    if not landing.run_id:
        raise LandingError("the landing has no run_id")
    problems: list[str] = []
    seen: set[str] = set()
    for account in landing.accounts:
        where = f"account {account.account_id!r}"
        if not isinstance(account.account_id, str) or not account.account_id:
            problems.append(f"an account id is empty or not text: {account.account_id!r}")
        elif account.account_id in seen:
            problems.append(f"{where} is listed twice")
        seen.add(str(account.account_id))
        if not isinstance(account.score, int | float) or not math.isfinite(account.score):
            problems.append(f"{where} has score {account.score!r}")
        if account.output_tokens < 0 or account.requests < 0:
            problems.append(f"{where} has negative volume")
    evidence: dict[str, ClusterEvidence] = {}
    for cluster in landing.clusters:
        if cluster.cluster_id in evidence:
            problems.append(f"cluster {cluster.cluster_id!r} has evidence twice")
        if len(cluster.hourly_requests) != 24:
            problems.append(
                f"cluster {cluster.cluster_id!r} has {len(cluster.hourly_requests)} hourly counts, not 24"
            )
        if not all(isinstance(entity, dict) for entity in cluster.entities):
            problems.append(f"cluster {cluster.cluster_id!r} has entities that are not objects")
        evidence[cluster.cluster_id] = cluster
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise LandingError(
            f"sweep {landing.sweep_date} cannot land: {'; '.join(problems[:3])}{more}"
        )

    by_cluster: dict[str, list[FlaggedAccount]] = defaultdict(list)
    groups: list[_Group] = []
    for account in landing.accounts:
        if account.cluster_id is None:
            groups.append(
                _Group(
                    key=f"account:{account.account_id}",
                    cluster_id=None,
                    accounts=[account],
                    evidence=evidence.get(account.account_id),
                )
            )
        else:
            by_cluster[account.cluster_id].append(account)
    for cluster_id, accounts in by_cluster.items():
        groups.append(
            _Group(
                key=f"cluster:{cluster_id}",
                cluster_id=cluster_id,
                accounts=sorted(accounts, key=lambda a: a.account_id),
                evidence=evidence.get(cluster_id),
            )
        )
    return sorted(groups, key=lambda g: g.key)


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]
