"""The prompt signals found by Hyperscan: every pattern in one pass over a text.

``features.text.with_prompt_signals`` decides eighteen patterns per request
(chain-of-thought, grader, sixteen task categories). Java's regex engine, even
behind ``features.text.phrase_plan``'s substring prefilters, tries them one by
one at every position: 36.7 s of Spark time for a 1.1M-request day on two
cores, most of the features job. Hyperscan compiles all of a text's patterns
into one automaton and scans each text once: the same day takes 6.1 s through
an Arrow UDF (bench/bench_sweep.py, 2026-11-29). It is a Python UDF where a
native function exists (STYLE.md) because that is the measured difference.

What is found is what Java's engine finds on the lower-cased texts of
``features.text.with_prompt_signals`` (tests/features/test_signal_scan.py
compares them in Spark on real prompt text and the simulated lake), with one
correction: Hyperscan's ``\\b`` is ASCII-only (its Unicode mode rejects
``\\b``), so next to a non-ASCII letter it sees a word boundary where Java
does not. Since every ``\\b`` of the signal patterns touches an ASCII letter
of its phrase, that can only add matches, and only in non-ASCII texts; those
matches are confirmed with Python's engine, whose ``\\b`` is Unicode-aware like
Java's (``\\d`` stays ASCII, as in Java).

Hyperscan ships wheels for x86-64 Linux, macOS and Windows, not for ARM Linux;
where it does not import, ``features.text`` uses the native path. The scan runs
in the executors' Python workers, so on a cluster the job asks them
(``jobs.featurize.resolve_signal_engine``), not only the driver.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa


def hyperscan_available() -> bool:
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return False
    return True


def _python_pattern(pattern: str) -> re.Pattern[str]:
    """``pattern`` for Python's engine with Java's ``\\d`` (ASCII digits)."""
    return re.compile(re.sub(r"(?<!\\)((?:\\\\)*)\\d", r"\1[0-9]", pattern))


@dataclass(frozen=True)
class SignalScanner:
    """Bit ``i`` of a text's mask is set when pattern ``i`` is found in it.

    ``full_patterns`` are searched in the full text (system prompt and prompt),
    ``head_patterns`` in the head of the prompt; their bits follow in that order.
    Build with ``SignalScanner.build``: it holds compiled Hyperscan databases,
    which do not pickle, so each Python worker builds its own.
    """

    full_db: Any
    head_db: Any
    full_patterns: int
    # Bit -> Python pattern, for the patterns whose \b a non-ASCII text must confirm.
    confirm: Mapping[int, re.Pattern[str]]

    @classmethod
    def build(cls, full_patterns: Sequence[str], head_patterns: Sequence[str]) -> SignalScanner:
        import hyperscan

        def database(patterns: Sequence[str], first_bit: int) -> Any:
            db = hyperscan.Database()
            db.compile(
                expressions=[pattern.encode() for pattern in patterns],
                ids=list(range(first_bit, first_bit + len(patterns))),
                flags=[hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_UTF8] * len(patterns),
            )
            return db

        patterns = [*full_patterns, *head_patterns]
        return cls(
            full_db=database(full_patterns, 0),
            head_db=database(head_patterns, len(full_patterns)),
            full_patterns=len(full_patterns),
            confirm={
                bit: _python_pattern(pattern)
                for bit, pattern in enumerate(patterns)
                if r"\b" in pattern
            },
        )

    def mask(self, full_text: str, head_text: str) -> int:
        found = [0]
        self.full_db.scan(full_text.encode(), match_event_handler=_set_bit, context=found)
        self.head_db.scan(head_text.encode(), match_event_handler=_set_bit, context=found)
        mask = found[0]
        if not mask or full_text.isascii():  # the head is lower-cased prompt text: ASCII too
            return mask
        for bit, pattern in self.confirm.items():
            if mask >> bit & 1:
                text = full_text if bit < self.full_patterns else head_text
                if not text.isascii() and pattern.search(text) is None:
                    mask &= ~(1 << bit)
        return mask

    def masks(
        self,
        system_prompts: pa.Array,
        prompts: pa.Array,
        system_prompt_chars: int,
        head_chars: int,
    ) -> pa.Array:
        """One mask per request, on the texts ``features.text.with_prompt_signals`` builds:
        the full text is the system prompt's first ``system_prompt_chars`` characters,
        a newline and the prompt; the head is the prompt's first ``head_chars``; each
        lower-cased after it is cut, a null being empty."""
        out = []
        for system_prompt, prompt in zip(
            system_prompts.to_pylist(), prompts.to_pylist(), strict=True
        ):
            prompt = prompt or ""
            full_text = (system_prompt or "")[:system_prompt_chars].lower() + "\n" + prompt.lower()
            out.append(self.mask(full_text, prompt[:head_chars].lower()))
        return pa.array(out, pa.int64())


def _set_bit(bit: int, start: int, end: int, flags: int, found: list[int]) -> None:
    found[0] |= 1 << bit
