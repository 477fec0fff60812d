"""Bad lines as real feeds carry them, one function per kind the contract names.

Each takes a good request record (a dict in contract field order) and returns
the text of a bad line derived from it, so bad lines look like the traffic
around them. Kinds (``config.BAD_LINE_KINDS``): truncated JSON, a wrong type in
one field, a missing required field, a timestamp outside the partition's day,
a negative token count, valid JSON that is not an object, and an unparseable
timestamp. Every one of them fails the contract on its own.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

# Required fields of the request record (CONTRACT section 2); any may go missing.
REQUIRED_FIELDS: tuple[str, ...] = (
    "request_id",
    "ts",
    "account_id",
    "api_key_id",
    "ip",
    "model",
    "input_tokens",
    "output_tokens",
    "latency_ms",
    "status",
    "prompt",
)

Record = dict[str, Any]


# Characters JSON allows raw inside strings that line splitters other than "\n" break on;
# escaped as Go's encoder does, so every reader sees one line per record (bad ones too).
_LINE_BREAKERS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"}


def json_line(value: Any) -> str:
    """One JSON line (UTF-8 text kept, line-breaking characters escaped)."""
    line = json.dumps(value, ensure_ascii=False)
    for raw, escaped in _LINE_BREAKERS.items():
        if raw in line:
            line = line.replace(raw, escaped)
    return line


_dump = json_line


def truncated_json(record: Record, r: random.Random, day: date) -> str:
    line = _dump(record)
    # A writer died mid-line: any proper prefix of an object lacks its closing brace.
    return line[: r.randint(max(1, len(line) // 5), len(line) - 1)]


def wrong_type(record: Record, r: random.Random, day: date) -> str:
    bad = dict(record)
    choice = r.randrange(6)
    if choice == 0:
        bad["input_tokens"] = str(bad["input_tokens"])  # "12" instead of 12
    elif choice == 1:
        bad["output_tokens"] = str(bad["output_tokens"])
    elif choice == 2:
        bad["status"] = "ok" if bad["status"] == 200 else "error"
    elif choice == 3 and bad.get("asn") is not None:
        bad["asn"] = f"AS{bad['asn']}"
    elif choice == 4:
        bad["latency_ms"] = f"{bad['latency_ms']}ms"
    else:
        bad["ts"] = r.randint(1_700_000_000_000, 1_900_000_000_000)  # epoch millis, not a string
    return _dump(bad)


def missing_field(record: Record, r: random.Random, day: date) -> str:
    bad = dict(record)
    del bad[r.choice(REQUIRED_FIELDS)]
    return _dump(bad)


def ts_outside_day(record: Record, r: random.Random, day: date) -> str:
    bad = dict(record)
    shift = r.choice((-1, -1, 1, 1, -365, -2))  # late deliveries, clock skew, a stale replay
    other = day + timedelta(days=shift)
    bad["ts"] = other.isoformat() + record["ts"][10:]
    return _dump(bad)


def negative_tokens(record: Record, r: random.Random, day: date) -> str:
    bad = dict(record)
    field = r.choice(("input_tokens", "output_tokens"))
    bad[field] = -r.randint(1, 5000)
    return _dump(bad)


def non_object_json(record: Record, r: random.Random, day: date) -> str:
    choice = r.randrange(4)
    if choice == 0:
        return _dump(list(record.values()))
    if choice == 1:
        return "null"
    if choice == 2:
        return _dump(record["request_id"])
    return str(r.randint(0, 10**9))


def invalid_ts(record: Record, r: random.Random, day: date) -> str:
    bad = dict(record)
    clock = record["ts"][11:]
    bad["ts"] = r.choice(
        (
            f"{day.isoformat()}T25{clock[2:]}",  # hour 25
            f"{day.isoformat()[:8]}32T{clock}",  # day 32
            "not a timestamp",
            "0000-00-00T00:00:00.000Z",
            f"{day.isoformat()}T{clock[:2]}:61:00.000Z",
        )
    )
    return _dump(bad)


CORRUPTIONS: dict[str, Callable[[Record, random.Random, date], str]] = {
    "truncated_json": truncated_json,
    "wrong_type": wrong_type,
    "missing_field": missing_field,
    "ts_outside_day": ts_outside_day,
    "negative_tokens": negative_tokens,
    "non_object_json": non_object_json,
    "invalid_ts": invalid_ts,
}
