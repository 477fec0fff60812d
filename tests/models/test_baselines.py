"""Population baselines: what a reason's value is read against (``models.scoring``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.feature_set import FEATURE_SET
from models.scoring import FlagRule, model_metadata, population_baselines
from models.scoring import baselines_from_metadata as read_baselines


def _frame(**columns: list[float]) -> pd.DataFrame:
    rows = len(next(iter(columns.values())))
    frame = pd.DataFrame({name: [0.0] * rows for name in FEATURE_SET.names})
    for name, values in columns.items():
        frame[name] = values
    return frame


def test_baselines_are_the_median_and_90th_percentile_of_finite_values() -> None:
    frame = _frame(
        requests_count_1d=[float(v) for v in range(1, 11)],
        content_share_7d=[np.nan] * 10,
        output_input_token_ratio_7d=[1.0, 2.0, np.inf, np.nan, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
    )
    baselines = population_baselines(frame)
    assert set(baselines) == set(FEATURE_SET.names)
    assert baselines["requests_count_1d"] == pytest.approx((5.5, 9.1))
    assert baselines["content_share_7d"] == (None, None)  # no value: no baseline
    assert baselines["output_input_token_ratio_7d"] == pytest.approx((4.5, 7.3))


def test_baselines_travel_in_the_model_metadata_and_old_versions_have_none() -> None:
    baselines = population_baselines(_frame(requests_count_1d=[1.0, 3.0]))
    metadata = model_metadata(FlagRule(threshold=0.9, corroboration_floor=0.5), baselines)
    stored = next(iter(metadata.values()))
    assert isinstance(stored, dict)
    assert read_baselines(stored) == baselines
    assert read_baselines({"flag_rule": {"threshold": 0.9}}) == {}
    assert read_baselines({"feature_baselines": {"x": [1.0]}}) == {}  # malformed: skipped
