"""Shared indicators: what the export of a confirmed campaign and the features job agree on.

A partner's STIX bundle lands as JSON lines under ``indicators/source=<partner>/``
(``review.indicators.import_bundle``); the features job matches the day's own
entities against them (``features.indicators``). Both sides must turn an entity
into the same comparable value, so the rules live here, beside the table:

- ``SHARED_TYPES``: which of the features job's entity types are shared, under
  which indicator type (a datacenter exit address is an ``ip`` to a partner, a
  system prompt's sha256 a ``system_prompt_hash``), and whether the value is
  shared as itself (addresses, prefixes, ASNs, e-mail domains) or only as a
  keyed hash (payment fingerprints, system-prompt hashes, template signatures);
- ``shared_value``: the value without the features job's time scope
  (``203.0.113.7@2026-10-22`` is the address ``203.0.113.7``);
- ``keyed_hash``: HMAC-SHA256 under the key the partners agreed on, over
  ``"<indicator type>\\n<value>"``, so a hash of one type never matches another.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from lakeio.store import ObjectStore

INDICATORS_PREFIX = "indicators/"  # indicators/source=<partner>/<bundle id>.jsonl


class SharedType(NamedTuple):
    indicator_type: str
    keyed: bool  # shared only as a keyed hash


SHARED_TYPES: dict[str, SharedType] = {
    "ip": SharedType("ip", False),
    "datacenter_ip": SharedType("ip", False),
    "signup_ip": SharedType("ip", False),
    "ip_prefix": SharedType("ip_prefix", False),
    "datacenter_ip_prefix": SharedType("ip_prefix", False),
    "asn": SharedType("asn", False),
    "email_domain": SharedType("email_domain", False),
    "payment_fingerprint": SharedType("payment_fingerprint", True),
    "system_prompt": SharedType("system_prompt_hash", True),
    "system_prompt_hash": SharedType("system_prompt_hash", True),
    "template": SharedType("template_signature", True),
    "template_signature": SharedType("template_signature", True),
}
# The features job's time scopes: ``<value>@<day or week>`` (features.coordination).
SCOPE_SEPARATOR = "@"
SCOPED_TYPES = frozenset({"ip", "datacenter_ip", "ip_prefix", "datacenter_ip_prefix", "signup_ip"})


def shared_value(entity_type: str, value: str) -> str:
    """The entity's value as partners compare it: without the time scope of scoped types."""
    if entity_type in SCOPED_TYPES:
        return value.rsplit(SCOPE_SEPARATOR, 1)[0]
    return value


def keyed_hash(sharing_key: bytes, indicator_type: str, value: str) -> str:
    """What partners compare instead of the value: HMAC-SHA256 under their shared key."""
    message = f"{indicator_type}\n{value}".encode()
    return hmac.new(sharing_key, message, hashlib.sha256).hexdigest()


def read_sharing_key(path: str) -> bytes:
    """The sharing key from its file (raw bytes; at least 16)."""
    with open(path, "rb") as handle:
        key = handle.read().strip()
    if len(key) < 16:
        raise ValueError(f"the sharing key in {path} must be at least 16 bytes")
    return key


@dataclass(frozen=True)
class Indicator:
    """One imported indicator, as ``review.indicators.import_bundle`` wrote it."""

    source: str
    indicator_id: str
    indicator_type: str  # a SharedType.indicator_type
    value: str  # the value itself, or its keyed hash (hex) when ``keyed``
    keyed: bool
    valid_from: datetime
    valid_until: datetime | None = None


def read_indicators(store: ObjectStore, day: date) -> tuple[list[Indicator], int]:
    """Every imported indicator valid on ``day``, and how many lines could not be read.

    Valid: from ``valid_from``'s day through ``valid_until``'s (when given); a
    revoked indicator is never imported. ASN indicators are read but name no
    entity: the link graph has no ASN entity.
    """
    indicators: list[Indicator] = []
    unreadable = 0
    for key in sorted(store.list_keys(INDICATORS_PREFIX)):
        if not key.endswith(".jsonl"):
            continue
        for line in store.read_bytes(key).decode("utf-8", "replace").splitlines():
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                indicator = Indicator(
                    source=str(row["source"]),
                    indicator_id=str(row["indicator_id"]),
                    indicator_type=str(row["entity_type"]),
                    value=str(row["value"]),
                    keyed=bool(row["keyed_hash"]),
                    valid_from=datetime.fromisoformat(str(row["valid_from"])),
                    valid_until=(
                        datetime.fromisoformat(str(row["valid_until"]))
                        if row.get("valid_until")
                        else None
                    ),
                )
            except (ValueError, KeyError, TypeError):
                unreadable += 1
                continue
            expired = indicator.valid_until is not None and indicator.valid_until.date() < day
            if indicator.valid_from.date() <= day and not expired:
                indicators.append(indicator)
    return indicators, unreadable
