"""Indicator sharing: confirmed campaigns out as STIX 2.1 bundles, partners' bundles into the lake.

``export_bundle`` turns the linking entities of confirmed campaigns (cases
decided abuse or mixed; only entities that linked abusive members and no
member found legitimate) into STIX indicators under a TLP marking: IP
addresses and prefixes, ASNs and email domains as themselves; payment
fingerprints, system-prompt hashes and template signatures only as keyed
hashes (HMAC-SHA256 under the key the partners agreed on), together with the
hashes of the campaigns' sample system prompts. A member's links are the
features job's entities (a datacenter exit is an address, an address carries
the day it was used: ``lakeio.indicators`` maps them to what partners share).
No payment data, prompt text or account id leaves. Each campaign is a STIX
Campaign the indicators point to.

``import_bundle`` reads a partner's bundle and writes its indicators, one
JSON line each, to ``indicators/source=<partner>/<bundle id>.jsonl`` in the
lake (rewritten whole on a second import of the same bundle); an object it
cannot read as one of these indicators is counted and named, not dropped
silently. Matching them to accounts is the features job's work
(``features.indicators``): it hashes the day's own entities with the same key
and links the accounts that match.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

import sqlalchemy as sa
import stix2
from sqlalchemy.engine import Engine

from lakeio import ObjectStore
from lakeio.indicators import INDICATORS_PREFIX, SHARED_TYPES, keyed_hash, shared_value
from review.audit import record_event
from review.engine import read_session
from review.errors import ReviewError
from review.tables import Case, Evidence, Member, MemberLink
from review.vocabulary import AuditAction, CaseStatus, Outcome

TLP = {"clear": stix2.TLP_WHITE, "green": stix2.TLP_GREEN, "amber": stix2.TLP_AMBER,
       "red": stix2.TLP_RED}  # fmt: skip
KEYED_TYPES = {
    "payment_fingerprint": "x-hydrasweep-payment",
    "system_prompt_hash": "x-hydrasweep-system-prompt",
    "template_signature": "x-hydrasweep-template",
}
_KEYED = re.compile(r"^\[(x-hydrasweep-[a-z-]+):keyed_hash = '([0-9a-f]{64})'\]$")
_PLAIN = re.compile(
    r"^\[(ipv4-addr|ipv6-addr|autonomous-system|domain-name):(value|number) "
    r"(=|ISSUBSET) '?([^']+?)'?\]$"
)


@dataclass(frozen=True)
class ExportedBundle:
    bundle: str  # the STIX JSON
    campaigns: int
    indicators: int


def export_bundle(
    engine: Engine,
    *,
    sharing_key: bytes,
    producer: str,
    tlp: str = "amber",
    actor: str,
    since: datetime | None = None,
) -> ExportedBundle:
    """A STIX 2.1 bundle of the confirmed campaigns' indicators (closed since ``since``)."""
    if tlp not in TLP:
        raise ReviewError(f"TLP must be one of {', '.join(TLP)}, got {tlp!r}")
    if len(sharing_key) < 16:
        raise ReviewError("the sharing key must be at least 16 bytes")
    marking = TLP[tlp]
    identity = stix2.Identity(name=producer, identity_class="organization")
    objects: list[Any] = [identity, marking]
    campaigns = 0
    for case, entities in _confirmed(engine, since):
        campaign = stix2.Campaign(
            name=f"{producer} case {case.id}",
            first_seen=_moment(case.first_seen),
            last_seen=_moment(case.last_seen),
            created_by_ref=identity.id,
            object_marking_refs=[marking.id],
        )
        indicators = [
            _indicator(kind, value, case, identity, marking, sharing_key)
            for kind, value in entities
        ]
        objects += [campaign, *indicators]
        objects += [
            stix2.Relationship(i, "indicates", campaign, created_by_ref=identity.id,
                               object_marking_refs=[marking.id])
            for i in indicators
        ]  # fmt: skip
        campaigns += 1
    count = sum(1 for o in objects if o.type == "indicator")
    record_event(
        engine,
        actor=actor,
        action=AuditAction.EXPORT_INDICATORS,
        detail={"campaigns": campaigns, "indicators": count, "tlp": tlp},
    )
    bundle = stix2.Bundle(objects=objects, allow_custom=True)
    return ExportedBundle(
        bundle=bundle.serialize(pretty=True), campaigns=campaigns, indicators=count
    )


def _confirmed(
    engine: Engine, since: datetime | None
) -> Iterable[tuple[Case, list[tuple[str, str]]]]:
    """Each confirmed campaign with the entities that linked only its abusive members."""
    cases_query = (
        sa.select(Case)
        .where(Case.status == CaseStatus.CLOSED, Case.outcome.in_((Outcome.ABUSE, Outcome.MIXED)))
        .order_by(Case.id)
    )
    if since is not None:
        cases_query = cases_query.where(Case.closed_at >= since)
    with read_session(engine) as session:
        for case in session.scalars(cases_query).all():
            outcomes: dict[tuple[str, str], set[Any]] = {}
            linked = (
                sa.select(MemberLink.entity_type, MemberLink.entity_value, Member.outcome)
                .join(Member, Member.id == MemberLink.member_id)
                .where(MemberLink.case_id == case.id, MemberLink.entity_type.in_(SHARED_TYPES))
                .distinct()
            )
            for kind, value, outcome in session.execute(linked):
                shared, plain = SHARED_TYPES[kind].indicator_type, shared_value(kind, value)
                if _expressible(shared, plain):
                    outcomes.setdefault((shared, plain), set()).add(outcome)
            entities = sorted(k for k, seen in outcomes.items() if seen == {Outcome.ABUSE})
            prompts = session.scalars(
                sa.select(Evidence.sample_system_prompts).where(Evidence.case_id == case.id)
            )
            entities += sorted(
                {("system_prompt_hash", _prompt_hash(p)) for texts in prompts for p in texts or []}
            )
            if entities:
                yield case, entities


def _expressible(kind: str, value: str) -> bool:
    """Whether a STIX pattern can say it (a producer's unreadable address cannot)."""
    try:
        if kind in ("ip", "ip_prefix"):
            ipaddress.ip_network(value, strict=False)
        elif kind == "asn":
            int(value.removeprefix("AS"))
    except ValueError:
        return False
    return bool(value)


def _prompt_hash(text: str) -> str:
    """The features job's hash of a system prompt (``features.ingest.system_prompt_hash``)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _indicator(
    kind: str, value: str, case: Case, identity: Any, marking: Any, key: bytes
) -> stix2.Indicator:
    return stix2.Indicator(
        name=f"{kind.replace('_', ' ')} of a distillation campaign",
        pattern=_pattern(kind, value, key),
        pattern_type="stix",
        valid_from=_moment(case.first_seen),
        indicator_types=["malicious-activity"],
        labels=[f"hydrasweep:{kind}"],
        created_by_ref=identity.id,
        object_marking_refs=[marking.id],
    )


def _pattern(kind: str, value: str, key: bytes) -> str:
    if kind in KEYED_TYPES:
        return f"[{KEYED_TYPES[kind]}:keyed_hash = '{keyed_hash(key, kind, value)}']"
    if kind == "asn":
        return f"[autonomous-system:number = {int(str(value).removeprefix('AS'))}]"
    if kind == "email_domain":
        return f"[domain-name:value = '{_quoted(value)}']"
    network = ipaddress.ip_network(value, strict=False)
    family = "ipv4-addr" if network.version == 4 else "ipv6-addr"
    if kind == "ip":
        return f"[{family}:value = '{network.network_address}']"
    return f"[{family}:value ISSUBSET '{network}']"


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _moment(day: Any) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


# --- a partner's bundle into the lake ------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    key: str
    indicators: int
    skipped: dict[str, int] = field(default_factory=dict)  # why -> how many


def import_bundle(
    store: ObjectStore, bundle_json: str, *, source: str, now: datetime | None = None
) -> ImportResult:
    """Write a partner's indicators to the lake's ``indicators/`` table; what was skipped, why."""
    slug = re.sub(r"[^a-z0-9-]+", "-", source.lower()).strip("-")
    if not slug:
        raise ReviewError("name the partner the bundle comes from (--source)")
    try:
        bundle = stix2.parse(bundle_json, allow_custom=True)
    except (stix2.exceptions.STIXError, ValueError) as exc:
        raise ReviewError(f"not a STIX 2.1 bundle: {str(exc).splitlines()[0]}") from exc
    markings = {o.id: o for o in bundle.objects if o.type == "marking-definition"}
    rows: list[dict[str, Any]] = []
    skipped: dict[str, int] = {}
    for obj in bundle.objects:
        if obj.type != "indicator":
            continue
        row = _indicator_row(obj, markings, slug, bundle.id, now or datetime.now(UTC))
        if isinstance(row, str):
            skipped[row] = skipped.get(row, 0) + 1
        else:
            rows.append(row)
    key = f"{INDICATORS_PREFIX}source={slug}/{bundle.id}.jsonl"
    store.write_bytes(key, "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows).encode())
    return ImportResult(key=key, indicators=len(rows), skipped=skipped)


def _indicator_row(
    obj: Any, markings: dict[str, Any], source: str, bundle_id: str, now: datetime
) -> dict[str, Any] | str:
    """The lake row of one indicator, or why it was skipped."""
    if getattr(obj, "revoked", False):
        return "revoked by its producer"
    pattern = str(obj.pattern).strip()
    keyed, plain = _KEYED.match(pattern), _PLAIN.match(pattern)
    if keyed:
        types = {v: k for k, v in KEYED_TYPES.items()}
        if keyed.group(1) not in types:
            return f"unknown keyed type {keyed.group(1)}"
        entity_type, value, hashed = types[keyed.group(1)], keyed.group(2), True
    elif plain:
        entity_type = _plain_type(plain.group(1), plain.group(3))
        value, hashed = plain.group(4), False
        if entity_type == "email_domain":
            value = value.lower()  # as the features job forms it
    else:
        return "a pattern other than one comparison of an address, ASN, domain or keyed hash"
    tlp = [markings[m].name for m in getattr(obj, "object_marking_refs", []) if m in markings]
    return {
        "source": source,
        "bundle_id": bundle_id,
        "indicator_id": obj.id,
        "entity_type": entity_type,
        "value": value,
        "keyed_hash": hashed,
        "valid_from": obj.valid_from.isoformat(),
        "valid_until": obj.valid_until.isoformat() if getattr(obj, "valid_until", None) else None,
        "tlp": tlp[0] if tlp else None,
        "imported_at": now.isoformat(),
    }


def _plain_type(object_type: str, operator: str) -> str:
    if object_type == "autonomous-system":
        return "asn"
    if object_type == "domain-name":
        return "email_domain"
    return "ip_prefix" if operator == "ISSUBSET" else "ip"
