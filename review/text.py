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
