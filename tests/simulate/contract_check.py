"""An independent reading of CONTRACT sections 2-4, used to judge what the simulator wrote.

Written from the contract text, not from the simulator's code: every request
line is classified as good or as exactly one bad-line kind, so tests can
compare the kinds found in the files with the counts the manifest claims.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, date, datetime
from typing import Any

from lakeio import ObjectStore

REQUEST_TYPES: dict[str, tuple[type, ...]] = {
    "request_id": (str,),
    "ts": (str,),
    "account_id": (str,),
    "api_key_id": (str,),
    "org_id": (str, type(None)),
    "ip": (str,),
    "asn": (int, type(None)),
    "country": (str, type(None)),
    "user_agent": (str, type(None)),
    "model": (str,),
    "input_tokens": (int,),
    "output_tokens": (int,),
    "latency_ms": (int,),
    "status": (int,),
    "system_prompt": (str, type(None)),
    "prompt": (str,),
}
REQUIRED = [name for name, types in REQUEST_TYPES.items() if type(None) not in types]
ACCOUNT_TYPES: dict[str, tuple[type, ...]] = {
    "account_id": (str,),
    "org_id": (str, type(None)),
    "created_at": (str,),
    "email_domain": (str,),
    "payment_fingerprint": (str, type(None)),
    "billing_country": (str, type(None)),
    "signup_ip": (str, type(None)),
    "tier": (str,),
    "verified": (bool,),
}
TIERS = {"free", "build", "scale", "enterprise"}
TS_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def parse_ts(value: str) -> datetime:
    """ISO-8601 UTC with a Z; raises ValueError for anything else."""
    if not TS_PATTERN.match(value):
        raise ValueError(value)
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def classify_request_line(line: str, day: date) -> str:
    """``good`` or the one bad-line kind of a raw request line in partition ``day``."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return "truncated_json"
    if not isinstance(record, dict):
        return "non_object_json"
    if any(name not in record for name in REQUIRED):
        return "missing_field"
    for name, types in REQUEST_TYPES.items():
        value = record.get(name)
        if int in types and value is not None and not _is_int(value):
            return "wrong_type"
        if int not in types and not isinstance(value, types):
            return "wrong_type"
    try:
        moment = parse_ts(record["ts"])
    except ValueError:
        return "invalid_ts"
    if moment.date() != day:
        return "ts_outside_day"
    if record["input_tokens"] < 0 or record["output_tokens"] < 0:
        return "negative_tokens"
    return "good"


def check_good_request(record: dict[str, Any]) -> None:
    """What a good line must also satisfy beyond its types (fails with the reason)."""
    assert record["latency_ms"] >= 0
    assert 100 <= record["status"] <= 599
    assert len(record["prompt"]) <= 4000
    assert record["system_prompt"] is None or len(record["system_prompt"]) <= 2000
    assert record["country"] is None or re.fullmatch(r"[A-Z]{2}", record["country"])
    assert record["asn"] is None or record["asn"] > 0
    import ipaddress

    ipaddress.ip_address(record["ip"])  # a real IPv4 or IPv6 address


def check_account(record: dict[str, Any]) -> None:
    assert isinstance(record, dict)
    assert set(ACCOUNT_TYPES) <= set(record), set(ACCOUNT_TYPES) - set(record)
    for name, types in ACCOUNT_TYPES.items():
        assert isinstance(record[name], types), (name, record[name])
    assert record["tier"] in TIERS
    parse_ts(record["created_at"])
    assert record["tier"] != "free" or record["payment_fingerprint"] is None


def read_lines(store: ObjectStore, key: str) -> list[str]:
    data = store.read_bytes(key)
    text = gzip.decompress(data).decode("utf-8") if key.endswith(".gz") else data.decode("utf-8")
    return text.splitlines()


def lake_bytes(store: ObjectStore) -> dict[str, bytes]:
    """Every object of the lake by key: the whole output, for byte comparisons."""
    return {key: store.read_bytes(key) for key in store.list_keys("")}
