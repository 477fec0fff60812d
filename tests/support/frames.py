"""Whole-DataFrame equality that works in this environment.

``pyspark.testing.assertDataFrameEqual`` imports ``pyspark.pandas``, which
fails to import under pandas 3 (``DateOffset`` moved), so any call raises
ImportError. This compares the same things: the schema, then every row,
order ignored, floats to a relative tolerance (sums over differently
partitioned data differ in the last bits).
"""

from __future__ import annotations

import math
from typing import Any

from pyspark.sql import DataFrame, Row


def assert_frames_equal(actual: DataFrame, expected: DataFrame, *, rel_tol: float = 1e-9) -> None:
    assert actual.schema == expected.schema, (
        f"schemas differ:\n{actual.schema.simpleString()}\n{expected.schema.simpleString()}"
    )
    got = sorted((_plain(row) for row in actual.collect()), key=_sort_key)
    want = sorted((_plain(row) for row in expected.collect()), key=_sort_key)
    assert len(got) == len(want), f"{len(got)} rows, expected {len(want)}"
    for position, (got_row, want_row) in enumerate(zip(got, want, strict=True)):
        assert _close(got_row, want_row, rel_tol), (
            f"row {position} differs:\n  got      {got_row}\n  expected {want_row}"
        )


def _plain(value: Any) -> Any:
    if isinstance(value, Row):
        return tuple(_plain(field) for field in value)
    if isinstance(value, (list, tuple)):
        return tuple(_plain(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _plain(v)) for k, v in value.items()))
    return value


def _sort_key(value: Any) -> Any:
    # None sorts first and never meets a str or number in a comparison; floats
    # are rounded so that near-equal values sort the same on both sides.
    if isinstance(value, tuple):
        return tuple(_sort_key(item) for item in value)
    if value is None:
        return (0, "")
    if isinstance(value, float):
        return (1, "" if math.isnan(value) else f"{value:.6e}")
    return (1, str(value))


def _close(got: Any, want: Any, rel_tol: float) -> bool:
    if isinstance(got, tuple) and isinstance(want, tuple):
        return len(got) == len(want) and all(
            _close(g, w, rel_tol) for g, w in zip(got, want, strict=True)
        )
    if isinstance(got, float) and isinstance(want, float):
        if math.isnan(got) or math.isnan(want):
            return math.isnan(got) and math.isnan(want)
        return math.isclose(got, want, rel_tol=rel_tol, abs_tol=1e-12)
    return got == want
