"""What a sweep hands the review queue: its day's flagged accounts and cluster evidence.

Plain frozen dataclasses, built by the pipeline (``flows``) and landed by
``review.landing.land_sweep``; nothing here touches a database. ``problems``
says what makes a hand-off impossible to land as a whole (a day that is not a
date, an account listed twice, a score that is not a number): such a sweep is
refused with those reasons, and nothing of it lands. ``quarantine`` sets
aside what the queue cannot store (an id longer than its column, or holding a
NUL, which PostgreSQL text refuses) so that one such account does not fail its
whole day: it is counted and described in the sweep's record and audit entry.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any


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
    # The entities that linked the account into its cluster that day, each
    # {"type": "payment_fingerprint" | "ip_prefix" | "email_domain" | ..., "value": ...},
    # and when known "customers" (how many hold it inside the cluster's block) and
    # "days" (ISO dates the account used it: exit addresses and prefixes).
    links: list[dict[str, Any]] = field(default_factory=list)
    hourly_requests: list[int] = field(default_factory=list)  # 24 values, UTC hours, or none


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


ID_LENGTH = 200  # the queue's columns for account, customer and cluster ids, and link values
LINK_TYPE_LENGTH = 32


@dataclass(frozen=True)
class Quarantined:
    """An account (or cluster evidence) set aside, with enough to find it again."""

    kind: str  # "account", "cluster evidence" or "link"
    preview: str  # the id, NUL replaced, cut to 80 characters
    sha256: str  # of the whole id as text (UTF-8, surrogates escaped)
    reason: str

    @classmethod
    def of(cls, kind: str, raw_id: object, reason: str) -> Quarantined:
        text = str(raw_id)
        digest = hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()
        return cls(kind, text.replace("\x00", "\ufffd")[:80], digest, reason)


def quarantine(landing: SweepLanding) -> tuple[SweepLanding, list[Quarantined]]:
    """The landing without what the queue cannot store, and what was set aside."""
    aside: list[Quarantined] = []
    accounts = []
    for account in landing.accounts:
        reason = _unstorable(
            account=account.account_id, customer=account.customer_id, cluster=account.cluster_id
        )
        if reason is not None:
            aside.append(Quarantined.of("account", account.account_id, reason))
            continue
        links, bad_links = _storable_links(account.links)
        aside.extend(bad_links)
        accounts.append(replace(account, links=links) if bad_links else account)
    clusters = []
    for cluster in landing.clusters:
        reason = _unstorable(cluster=cluster.cluster_id)
        if reason is None:
            clusters.append(cluster)
        else:
            aside.append(Quarantined.of("cluster evidence", cluster.cluster_id, reason))
    if not aside:
        return landing, []
    return replace(landing, accounts=accounts, clusters=clusters), aside


def _storable_links(
    links: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[Quarantined]]:
    kept, aside = [], []
    for link in links:
        kind, value = link.get("type"), link.get("value")
        reason = (
            _unstorable(link=value)
            if isinstance(kind, str) and isinstance(value, str)
            else ("a link is not a type and a value")
        )
        if reason is None and (not kind or len(kind) > LINK_TYPE_LENGTH or "\x00" in kind):
            reason = f"link type {kind!r} is empty, holds a NUL or is over {LINK_TYPE_LENGTH}"
        if reason is None:
            reason = _unstorable_extent(link.get("customers"), link.get("days"))
        if reason is None:
            kept.append(_stored_link(link))
        else:
            aside.append(Quarantined.of("link", value, reason))
    return kept, aside


MAX_LINK_DAYS = 31  # days a link can list: the week a sweep reads, many times over


def _unstorable_extent(customers: object, days: object) -> str | None:
    """Why a link's customers or days cannot be stored (None: they can, or are absent)."""
    if customers is not None and (
        isinstance(customers, bool) or not isinstance(customers, int) or customers < 0
    ):
        return f"link customers {customers!r} is not a count"
    if days is None:
        return None
    if not isinstance(days, list) or len(days) > MAX_LINK_DAYS:
        return f"link days are not a list of at most {MAX_LINK_DAYS} dates"
    for day in days:
        if not _is_day(day):
            return f"link day {day!r} is not an ISO date"
    return None


def _is_day(value: object) -> bool:
    """A date, or a string in ISO form."""
    if isinstance(value, date):
        return True
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _stored_link(link: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": str(link["type"]), "value": str(link["value"])}
    if link.get("customers") is not None:
        out["customers"] = int(link["customers"])
    if link.get("days"):
        out["days"] = sorted(
            {
                (date.fromisoformat(day) if isinstance(day, str) else day).isoformat()[:10]
                for day in link["days"]
            }
        )
    return out


def _unstorable(**ids: object) -> str | None:
    for name, value in ids.items():
        if not isinstance(value, str):
            continue  # None (no cluster, no customer), or a type problems() reports
        if len(value) > ID_LENGTH:
            return f"{name} id of {len(value)} characters (at most {ID_LENGTH})"
        if "\x00" in value:
            return f"{name} id holds a NUL character"
    return None


def problems(landing: SweepLanding) -> list[str]:
    """Why ``landing`` cannot land at all (empty when it can)."""
    found: list[str] = []
    if not isinstance(landing.sweep_date, date) or isinstance(landing.sweep_date, datetime):
        found.append(f"sweep_date must be a date, got {landing.sweep_date!r}")
    if not landing.run_id:
        found.append("the landing has no run_id")
    found.extend(_account_problems(landing.accounts))
    found.extend(_evidence_problems(landing.clusters))
    return found


def _account_problems(accounts: list[FlaggedAccount]) -> list[str]:
    found: list[str] = []
    seen: set[str] = set()
    for account in accounts:
        where = f"account {account.account_id!r}"
        if not isinstance(account.account_id, str) or not account.account_id:
            found.append(f"an account id is empty or not text: {account.account_id!r}")
        elif account.account_id in seen:
            found.append(f"{where} is listed twice")
        seen.add(str(account.account_id))
        if not isinstance(account.score, int | float) or not math.isfinite(account.score):
            found.append(f"{where} has score {account.score!r}")
        if account.output_tokens < 0 or account.requests < 0:
            found.append(f"{where} has negative volume")
        if account.hourly_requests and len(account.hourly_requests) != 24:
            found.append(f"{where} has {len(account.hourly_requests)} hourly counts, not 24")
    return found


def _evidence_problems(clusters: list[ClusterEvidence]) -> list[str]:
    twice = Counter(cluster.cluster_id for cluster in clusters)
    found = [f"cluster {cid!r} has evidence twice" for cid, n in twice.items() if n > 1]
    for cluster in clusters:
        hours = len(cluster.hourly_requests)
        if hours != 24:
            found.append(f"cluster {cluster.cluster_id!r} has {hours} hourly counts, not 24")
        if not all(isinstance(entity, dict) for entity in cluster.entities):
            found.append(f"cluster {cluster.cluster_id!r} has entities that are not objects")
    return found
