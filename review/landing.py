"""Land one sweep day's flagged accounts and clusters in the review queue.

The daily flow hands over plain data (``review.handoff.SweepLanding``, also
importable from here); this module turns it into cases, one per hydra cluster
and one per flagged account that belongs to no cluster. Landing is idempotent
per day: the day's sightings and evidence are replaced, never added to, so a
rerun (late data, a fixed model) updates the same cases. A cluster is matched
to an existing case by its accounts, not by its id, because cluster ids are
recomputed every day: a campaign seen again tomorrow attaches to its open case
(new members, new evidence, and a higher priority as its volume grows), and a
closed case reopens only when the new evidence is material (``ReopenPolicy``).
New cases wait in a ``deferred`` backlog and enter the open queue by priority,
at most ``intake_cap`` a day. Members' and cases' totals are then recomputed
from their sightings (``review.totals``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, defer

from review.audit import add_audit, append_audit, audit_row
from review.db import as_engine
from review.engine import in_chunks, is_postgresql, write_session
from review.errors import LandingError
from review.handoff import (
    ClusterEvidence,
    FlaggedAccount,
    Quarantined,
    SweepLanding,
    problems,
    quarantine,
)
from review.records import case_state, jsonable
from review.tables import Case, Evidence, Member, MemberLink, Sighting, Sweep, utcnow
from review.totals import (
    MemberTotals,
    Resighting,
    latest_clusters,
    refresh_case_totals,
    refresh_members,
    volume_since_closed,
)
from review.vocabulary import ACTIVE_STATUSES, AuditAction, CaseStatus

__all__ = [
    "ClusterEvidence",
    "FlaggedAccount",
    "LandingResult",
    "ReopenPolicy",
    "SweepLanding",
    "land_sweep",
]

MAX_SAMPLES = 10
MAX_SAMPLE_CHARS = 4000  # the contract's prompt truncation; system prompts are shorter
SWEEP_ACTOR = "sweep"
EVIDENCE_REASON = "cluster_evidence"  # the reasons' kind naming an evidence family
MAX_QUARANTINE_LISTED = 100  # in the audit entry; the sweep's stats keep them all
_PG_LANDING_LOCK = 0x68796473  # serialises landings of any day ("hyds")


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

    def is_material(self, case: Case, members: list[MemberTotals], volume_since: int) -> bool:
        if case.closed_at is None or case.closed_through_date is None:
            return False
        new_members = sum(1 for m in members if m.added_at > case.closed_at)
        baseline = case.closed_output_tokens or 0
        return new_members >= self.min_new_members or (
            volume_since > 0 and volume_since >= self.volume_growth * baseline
        )


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
    quarantined: int = 0  # accounts and evidence the queue cannot store, set aside

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

    def sightings(self) -> Iterable[tuple[FlaggedAccount, list[Any]]]:
        return zip(self.accounts, self.reasons, strict=True)


@dataclass
class _Placed:
    """A group and the case (and members) it landed in."""

    case: Case
    group: _Group
    members: list[Member]


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
    landing, aside = quarantine(landing)
    groups = _groups(landing)
    engine = as_engine(engine_or_url)
    try:
        with write_session(engine) as session:
            if is_postgresql(engine):
                session.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LANDING_LOCK)))
            lander = _Lander(session, landing, reopen or ReopenPolicy(), now or utcnow(), aside)
            return lander.land(groups, intake_cap)
    finally:
        if isinstance(engine_or_url, str):
            engine.dispose()  # we opened it, we close it


class _Lander:
    def __init__(
        self,
        session: Session,
        landing: SweepLanding,
        reopen: ReopenPolicy,
        now: datetime,
        aside: list[Quarantined],
    ) -> None:
        self.session = session
        self.aside = aside
        self.landing = landing
        self.day = landing.sweep_date
        self.reopen = reopen
        self.now = now
        self.before: dict[int, dict[str, Any] | None] = {}  # case id -> state (None: created)
        self.cases: dict[int, Case] = {}  # every case this landing may change, by id
        self.attached: set[int] = set()
        self.created: list[Case] = []
        self.members_added = 0
        self.bumped: set[int] = set()  # cases whose member set this landing changed

    def land(self, groups: list[_Group], intake_cap: int) -> LandingResult:
        self._record_sweep()
        members = self._members_of([a.account_id for g in groups for a in g.accounts])
        previous_case_of_group, sighted_before = self._clear_day({m.case_id for m in members})
        placed = self._place(groups, members, previous_case_of_group)
        created_ids = {case.id for case in self.created}
        resighted = {
            member.id: Resighting(p.group.cluster_id, account.score, reasons)
            for p in placed
            if p.case.id not in created_ids
            for member, (account, reasons) in zip(p.members, p.group.sightings(), strict=True)
        }
        unsighted = sighted_before - set(resighted)
        touched = [self.cases[case_id] for case_id in sorted(self.before)]
        reopened, withdrawn = self._refresh(
            [case for case in touched if case.id not in created_ids], resighted, unsighted
        )
        opened = self._intake(intake_cap)
        self._audit_changes(touched)
        result = self._result(
            groups, touched, reopened=reopened, withdrawn=withdrawn, opened=opened
        )
        add_audit(
            self.session,
            actor=SWEEP_ACTOR,
            action=AuditAction.SWEEP_LANDED,
            at=self.now,
            detail={
                "run_id": self.landing.run_id,
                "model_version": self.landing.model_version,
                **result.to_dict(),
                "quarantine": [asdict(q) for q in self.aside[:MAX_QUARANTINE_LISTED]],
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
            "stats": jsonable(
                {**self.landing.stats, "quarantined": [asdict(q) for q in self.aside]}
                if self.aside
                else self.landing.stats
            ),
            # Flagged, whether it could be stored or not.
            "accounts_flagged": len(self.landing.accounts)
            + sum(1 for q in self.aside if q.kind == "account"),
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
        for chunk in in_chunks(account_ids):
            found.extend(
                self.session.scalars(
                    # Reasons are only written here, never read: not decoded either.
                    sa.select(Member)
                    .where(Member.account_id.in_(chunk))
                    .options(defer(Member.reasons))
                )
            )
        return found

    def _clear_day(self, member_cases: set[int]) -> tuple[dict[str, int], set[int]]:
        """Lock the cases this landing may change and delete the day's earlier rows.

        Returns the case each group key landed in before (a rerun finds its
        cases through them) and the members this day sighted before.
        """
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
        self._lock_cases(earlier | member_cases)
        for case_id in earlier:
            self._touch(self.cases[case_id])
        self.session.execute(sa.delete(Sighting).where(Sighting.sweep_date == self.day))
        self.session.execute(sa.delete(Evidence).where(Evidence.sweep_date == self.day))
        self.session.flush()
        return previous_case_of_group, {member_id for member_id, _ in sighted_before}

    def _lock_cases(self, case_ids: Iterable[int]) -> None:
        """Load (and on PostgreSQL row-lock) the cases this landing may change."""
        for chunk in in_chunks(sorted(case_ids)):
            query = sa.select(Case).where(Case.id.in_(chunk)).order_by(Case.id).with_for_update()
            self.cases.update((c.id, c) for c in self.session.scalars(query))

    def _touch(self, case: Case) -> None:
        self.before.setdefault(case.id, case_state(case))

    def _place(
        self, groups: list[_Group], members: list[Member], previous_case_of_group: dict[str, int]
    ) -> list[_Placed]:
        """Each group in its case (matched or new), then the day's sightings and evidence."""
        cases_of_account: dict[str, list[int]] = defaultdict(list)
        member_of: dict[tuple[int, str], Member] = {}
        for member in members:
            cases_of_account[member.account_id].append(member.case_id)
            member_of[(member.case_id, member.account_id)] = member
        placed: list[_Placed] = []
        for group in groups:
            case = self._match(group, cases_of_account, previous_case_of_group)
            if case is None:
                case = self._new_case(group)
                self.created.append(case)
            else:
                self._touch(case)
                self.attached.add(case.id)
            attached = self._attach(case, group, member_of)
            self._note_families(case, group)
            if case.id is None:
                # A new case's members are all new, seen today only: its totals are
                # final now, so the insert carries them and the refresh passes it by.
                refresh_case_totals(case, attached, group.cluster_id)
            placed.append(_Placed(case, group, attached))
        # One flush inserts the new cases and members, each table in batches (a
        # flush per new row was most of a large landing's time); the day's
        # sightings and evidence, which need their ids, follow as bulk inserts.
        self.session.flush()
        for case in self.created:
            self.cases[case.id] = case
            self.before[case.id] = None
        self._insert_day_rows(placed)
        self._record_links(placed)
        return placed

    def _record_links(self, placed: list[_Placed]) -> None:
        """Store the entities that linked each member (new ones added, known ones extended).

        A known link takes the day's span, its latest count of customers and the
        union of the days it was used (the latest ``LINK_DAYS_KEPT``).
        """
        wanted = {
            (member.id, link["type"], link["value"]): (member.case_id, link)
            for p in placed
            for member, account in zip(p.members, p.group.accounts, strict=True)
            for link in account.links
        }
        if not wanted:
            return
        known: dict[tuple[int, str, str], tuple[int, date, date, int | None, list[str]]] = {}
        for chunk in in_chunks(sorted({member_id for member_id, _, _ in wanted})):
            query = sa.select(
                MemberLink.member_id,
                MemberLink.entity_type,
                MemberLink.entity_value,
                MemberLink.id,
                MemberLink.first_seen,
                MemberLink.last_seen,
                MemberLink.customers,
                MemberLink.days,
            ).where(MemberLink.member_id.in_(chunk))
            known.update(
                ((m, t, v), (i, f, la, c, list(d or [])))
                for m, t, v, i, f, la, c, d in self.session.execute(query)
            )
        new = [
            {"member_id": m, "case_id": c, "entity_type": t, "entity_value": v,
             "first_seen": self.day, "last_seen": self.day,
             "customers": link.get("customers"), "days": _link_days([], link)}
            for (m, t, v), (c, link) in wanted.items()
            if (m, t, v) not in known
        ]  # fmt: skip
        seen_again = []
        for key, (i, f, la, customers, days) in known.items():
            if key not in wanted:
                continue
            link = wanted[key][1]
            row = {
                "id": i,
                "first_seen": min(f, self.day),
                "last_seen": max(la, self.day),
                # A rerun or a late earlier day does not overwrite a later count.
                "customers": (link.get("customers", customers) if self.day >= la else customers),
                "days": _link_days(days, link),
            }
            if (row["first_seen"], row["last_seen"], row["customers"], row["days"]) != (
                f,
                la,
                customers,
                days or None,
            ):
                seen_again.append(row)
        if new:
            self.session.execute(sa.insert(MemberLink), new)
        if seen_again:
            self.session.execute(sa.update(MemberLink), seen_again)

    def _note_families(self, case: Case, group: _Group) -> None:
        """The case's evidence families and latest model version, for the list's filters."""
        families = set(filter(None, (case.evidence_families or "").split(",")))
        families |= {
            str(reason["evidence"])
            for reasons in group.reasons
            if isinstance(reasons, list)
            for reason in reasons
            if isinstance(reason, dict) and reason.get("kind") == EVIDENCE_REASON
        }
        joined = f",{','.join(sorted(families))}," if families else ""
        if joined != (case.evidence_families or "") and len(joined) <= 400:
            case.evidence_families = joined
        if case.last_seen is None or self.day >= case.last_seen:
            case.model_version = self.landing.model_version[:128]

    def _insert_day_rows(self, placed: list[_Placed]) -> None:
        if not placed:
            return
        sightings = [
            _sighting_row(member.id, self.day, p.group.cluster_id, account, reasons)
            for p in placed
            for member, (account, reasons) in zip(p.members, p.group.sightings(), strict=True)
        ]
        self.session.execute(sa.insert(Sighting), sightings)
        self.session.execute(
            sa.insert(Evidence), [_evidence_row(p.case.id, self.day, p.group) for p in placed]
        )

    def _match(
        self,
        group: _Group,
        cases_of_account: dict[str, list[int]],
        previous_case_of_group: dict[str, int],
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
        if previous is not None and previous in self.cases:
            overlap[previous] += 0  # a candidate even if its accounts all changed
        candidates = [
            self.cases[c] for c in overlap if self.cases[c].status != CaseStatus.WITHDRAWN
        ]
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
            status=CaseStatus.DEFERRED,
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
        member starts with the values today's sighting gives it (the totals
        refresh would compute the same).
        """
        members = []
        for account, reasons in group.sightings():
            member = member_of.get((case.id, account.account_id)) if case.id is not None else None
            if member is None:
                member = Member(
                    added_version=self._bump(case),
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
        self, cases: list[Case], resighted: dict[int, Resighting], unsighted: set[int]
    ) -> tuple[int, int]:
        """Recompute members and case totals from sightings; reopen or withdraw cases."""
        ids = [case.id for case in cases]
        refreshed = refresh_members(self.session, self.day, ids, resighted, unsighted)
        for case in cases:
            if case.id in refreshed.left:
                self._bump(case)
        latest_cluster = latest_clusters(self.session, ids)
        volume_since = volume_since_closed(
            self.session, [case.id for case in cases if case.status == CaseStatus.CLOSED]
        )
        reopened = withdrawn = 0
        for case in cases:
            members = refreshed.kept.get(case.id, [])
            refresh_case_totals(case, members, latest_cluster.get(case.id, case.cluster_id))
            if case.status == CaseStatus.CLOSED and self.reopen.is_material(
                case, members, volume_since.get(case.id, 0)
            ):
                case.status = CaseStatus.OPEN
                case.outcome = None
                case.reopen_count += 1
                reopened += 1
            elif not members and case.status in ACTIVE_STATUSES:
                case.status = CaseStatus.WITHDRAWN
                case.claimed_by = case.claimed_at = case.claim_expires_at = None
                withdrawn += 1
        self.session.flush()
        return reopened, withdrawn

    def _bump(self, case: Case) -> int:
        """Raise the case's members version once per landing; the version now."""
        if case.id is None:
            return 1  # a new case: its first version
        if case.id not in self.bumped:
            self.bumped.add(case.id)
            case.members_version += 1
        return case.members_version

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
            .where(Case.status == CaseStatus.DEFERRED)
            .order_by(Case.priority.desc(), Case.id)
            .limit(capacity)
            .with_for_update()
        )
        opened = 0
        for case in self.session.scalars(query):
            self._touch(case)
            self.cases[case.id] = case
            case.status = CaseStatus.OPEN
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
        rows = []
        for case_id in sorted(self.before):
            case = self.cases[case_id]
            before, after = self.before[case_id], case_state(case)
            if before == after:
                continue
            case.updated_at = self.now
            rows.append(
                audit_row(
                    actor=SWEEP_ACTOR,
                    action=_change_action(before, after),
                    at=self.now,
                    case_id=case_id,
                    before=before,
                    after=after,
                    detail={"sweep_date": self.day, "run_id": self.landing.run_id},
                )
            )
        append_audit(self.session, rows)

    def _result(
        self,
        groups: list[_Group],
        touched: list[Case],
        *,
        reopened: int,
        withdrawn: int,
        opened: int,
    ) -> LandingResult:
        created_ids = {case.id for case in self.created}
        landed = self.attached | created_ids
        backlog = self.session.scalar(
            sa.select(sa.func.count()).select_from(Case).where(Case.status == CaseStatus.DEFERRED)
        )
        lone_evidence = {a.account_id for a in self.landing.accounts if a.cluster_id is None}
        return LandingResult(
            sweep_date=self.day,
            accounts=sum(len(g.accounts) for g in groups),
            clusters=sum(1 for g in groups if g.cluster_id is not None),
            cases_created=len(created_ids),
            cases_updated=len(self.attached - created_ids),
            cases_reopened=reopened,
            cases_opened=opened,
            cases_withdrawn=withdrawn,
            members_added=self.members_added,
            capped=sum(1 for c in touched if c.status == CaseStatus.DEFERRED and c.id in landed),
            backlog=int(backlog or 0),
            quarantined=len(self.aside),
            evidence_unmatched=len(
                {c.cluster_id for c in self.landing.clusters}
                - {g.cluster_id for g in groups}
                - lone_evidence
            ),
        )


def _change_action(before: dict[str, Any] | None, after: dict[str, Any]) -> AuditAction:
    if before is None:
        return AuditAction.CASE_CREATED
    if before["status"] == CaseStatus.CLOSED and after["status"] == CaseStatus.OPEN:
        return AuditAction.CASE_REOPENED
    if after["status"] == CaseStatus.WITHDRAWN and before["status"] != CaseStatus.WITHDRAWN:
        return AuditAction.CASE_WITHDRAWN
    return AuditAction.CASE_UPDATED


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
        "hourly_requests": [int(v) for v in account.hourly_requests] or None,
    }


def _evidence_row(case_id: int, day: date, group: _Group) -> dict[str, Any]:
    row: dict[str, Any] = {
        "case_id": case_id,
        "sweep_date": day,
        "group_key": group.key,
        "cluster_id": group.cluster_id,
    }
    ev = group.evidence
    if ev is None:  # no evidence given: summarise what the accounts themselves say
        accounts = group.accounts
        return row | {
            "accounts_count": len(accounts),
            "customers_count": len({a.customer_id for a in accounts if a.customer_id is not None}),
            "requests": sum(a.requests for a in accounts),
            "output_tokens": sum(a.output_tokens for a in accounts),
            "entities": [],
            "hourly_requests": [],
            "sample_prompts": [],
            "sample_system_prompts": [],
            "extra": {},
        }
    return row | {
        "accounts_count": ev.accounts_count,
        "customers_count": ev.customers_count,
        "requests": ev.requests,
        "output_tokens": ev.output_tokens,
        "entities": jsonable(ev.entities),
        "hourly_requests": [int(v) for v in ev.hourly_requests],
        "sample_prompts": _samples(ev.sample_prompts),
        "sample_system_prompts": _samples(ev.sample_system_prompts),
        "extra": jsonable(ev.extra),
    }


def _samples(texts: list[str]) -> list[str]:
    return [jsonable(text[:MAX_SAMPLE_CHARS]) for text in texts[:MAX_SAMPLES]]


def _groups(landing: SweepLanding) -> list[_Group]:
    """Validate the landing and split it into clusters and lone accounts, in a stable order."""
    found = problems(landing)
    if found:
        more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
        raise LandingError(f"sweep {landing.sweep_date} cannot land: {'; '.join(found[:3])}{more}")
    evidence = {cluster.cluster_id: cluster for cluster in landing.clusters}
    by_cluster: dict[str, list[FlaggedAccount]] = defaultdict(list)
    groups: list[_Group] = []
    for account in landing.accounts:
        if account.cluster_id is None:
            key = f"account:{account.account_id}"
            groups.append(_Group(key, None, [account], evidence.get(account.account_id)))
        else:
            by_cluster[account.cluster_id].append(account)
    for cluster_id, accounts in by_cluster.items():
        members = sorted(accounts, key=lambda a: a.account_id)
        groups.append(
            _Group(f"cluster:{cluster_id}", cluster_id, members, evidence.get(cluster_id))
        )
    return sorted(groups, key=lambda g: g.key)


LINK_DAYS_KEPT = 28  # the days a stored link lists: four sweeps' weeks, newest kept


def _link_days(known: list[str], link: dict[str, Any]) -> list[str] | None:
    """The union of a link's known days and the sweep's, newest ``LINK_DAYS_KEPT``; None
    when neither has any (an entity without a day)."""
    days = sorted(set(known) | set(link.get("days") or []))[-LINK_DAYS_KEPT:]
    return days or None
