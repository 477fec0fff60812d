"""Attacker-written text made inert for display, in the console and in a terminal.

Prompts, system prompts, user agents, account ids, entity values and even
reviewer names reach analysts' screens. Escaping (Jinja's autoescape, rich's
markup escape) stops them from becoming markup; ``inert`` also stops them
from deceiving the reader: characters that reorder text (bidirectional
overrides and isolates), hide in it (zero-width characters, the BOM) or act on
a terminal (C0 and C1 controls, including ESC) are shown as visible ``\\uXXXX``
escapes. Tabs and line breaks stay. ``reason_in_words`` turns a flag's
reasons into sentences from the feature set's descriptions (which the caller
passes in: the review package does not import the features package).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_INVISIBLE = frozenset(
    {
        *range(0x00, 0x09),
        *range(0x0B, 0x20),
        0x7F,
        *range(0x80, 0xA0),
        0x061C,  # Arabic letter mark
        0x180E,  # Mongolian vowel separator
        *range(0x200B, 0x2010),  # zero-width space, joiners, LRM, RLM
        *range(0x2028, 0x202F),  # line/paragraph separators, bidi embeddings and overrides
        *range(0x2060, 0x2070),  # word joiner, invisible operators, bidi isolates
        0xFEFF,
        *range(0xFFF9, 0xFFFC),  # interlinear annotations
    }
)


def inert(value: Any) -> str:
    """``value`` as text with invisible and direction-changing characters shown as escapes."""
    text = "" if value is None else str(value)
    if not any(ord(ch) in _INVISIBLE for ch in text):
        return text
    return "".join(f"\\u{ord(ch):04x}" if ord(ch) in _INVISIBLE else ch for ch in text)


def reason_in_words(reason: Any, descriptions: Mapping[str, str]) -> str:
    """One reason of a flag as a sentence, from the feature set's descriptions.

    Model reasons (``{"feature", "value", "contribution"}``) read as the
    feature's description with its value and signed contribution, and those
    that speak against the flag (kind ``model_against``) say so first;
    cluster-evidence reasons read as their family's description with its
    signals. A value with a population ``baseline`` (median and 90th percentile)
    is followed by it: "1,200 (typical 40, 9 in 10 at most 300)". Anything else is
    shown as it came.
    """
    if not isinstance(reason, dict):
        return str(reason)
    if "feature" in reason:
        name = str(reason["feature"])
        said = descriptions.get(name, name.replace("_", " "))
        value = _number(reason.get("value")) + _typical(reason.get("baseline"))
        contribution = reason.get("contribution")
        signed = (
            f"{contribution:+.3g}"
            if isinstance(contribution, int | float) and not isinstance(contribution, bool)
            else str(contribution)
        )
        against = "against: " if reason.get("kind") == "model_against" else ""
        return f"{against}{said}: {value} ({name}, {signed})"
    if "evidence" in reason:
        signals = reason.get("signals") or {}
        typical = reason.get("baselines") or {}
        shown = ", ".join(
            f"{descriptions.get(str(k), str(k).replace('_', ' '))} {_number(v)}"
            f"{_typical(typical.get(k) if isinstance(typical, dict) else None)}"
            for k, v in sorted(signals.items())
        )
        what = reason.get("description") or str(reason["evidence"]).replace("_", " ")
        return f"{what} (strength {_number(reason.get('strength'))}){': ' + shown if shown else ''}"
    return ", ".join(f"{k}={v}" for k, v in sorted(reason.items(), key=lambda kv: str(kv[0])))


def link_in_words(link: Any) -> str:
    """One of a member's links as a reviewer reads it: the entity, how many customers
    hold it inside the cluster's block, the days the member used it, and the sweeps
    that showed it: "ip_prefix 45.9.0.0/24: 412 customers; used 2026-09-15, 2026-09-16;
    linked 2026-09-15 to 2026-09-21". What a sweep did not say is left out."""
    if not isinstance(link, dict):
        return str(link)
    parts = []
    customers = link.get("customers")
    if isinstance(customers, int) and not isinstance(customers, bool):
        parts.append(f"{customers:,} customer{'' if customers == 1 else 's'}")
    days = [str(day) for day in link.get("days") or []]
    if days:
        parts.append(
            "used "
            + (", ".join(days) if len(days) <= 3 else f"{days[0]} to {days[-1]} ({len(days)} days)")
        )
    first, last = link.get("first_seen"), link.get("last_seen")
    if first and last:
        parts.append(f"linked {first}" if first == last else f"linked {first} to {last}")
    said = f"{link.get('type')} {link.get('value')}"
    return f"{said}: {'; '.join(parts)}" if parts else said


def _typical(baseline: Any) -> str:
    """`` (typical M, 9 in 10 at most P)`` for a baseline, or nothing when there is none."""
    if not isinstance(baseline, dict):
        return ""
    median, p90 = baseline.get("median"), baseline.get("p90")
    if median is None:
        return ""
    tail = "" if p90 is None else f", 9 in 10 at most {_number(p90)}"
    return f" (typical {_number(median)}{tail})"


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.3g}"
