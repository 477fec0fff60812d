"""Attacker-written text made inert for display, in the console and in a terminal.

Prompts, system prompts, user agents, account ids, entity values and even
reviewer names reach analysts' screens. Escaping (Jinja's autoescape, rich's
markup escape) stops them from becoming markup; ``inert`` also stops them
from deceiving the reader: characters that reorder text (bidirectional
overrides and isolates), hide in it (zero-width characters, the BOM) or act on
a terminal (C0 and C1 controls, including ESC) are shown as visible ``\\uXXXX``
escapes. Tabs and line breaks stay.
"""

from __future__ import annotations

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
