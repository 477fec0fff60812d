"""The scorecard's arithmetic on a small hand-made table (no Spark, no simulator)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from simulate.scorecard import group_figures, markdown, scorecard

D = [date(2026, 3, d) for d in range(1, 11)]
WINDOW = (D[5], D[9])  # days 6..10 are judged


def _truth() -> pd.DataFrame:
    rows = [
        # account, population, campaign, tactic, first active
        ("a1", "campaign_pop", "camp-1", "low_and_slow", D[1]),  # old account, flagged on day 7
        ("a2", "campaign_pop", "camp-1", "low_and_slow", D[6]),  # new on 7, flagged on 7 (0 d)
        ("a3", "campaign_pop", "camp-1", "low_and_slow", D[6]),  # new on 7, flagged on 9 (2 d)
        ("a4", "campaign_pop", "camp-1", "low_and_slow", D[7]),  # new on 8, never flagged
        ("b1", "campaign_pop2", "camp-2", "release_pivot", D[5]),  # campaign starts on day 6
        ("b2", "campaign_pop2", "camp-2", "release_pivot", D[6]),  # flagged day 7 (1 d)
        ("h1", "hobbyist", None, None, D[0]),
        ("h2", "hobbyist", None, None, D[0]),
        ("h3", "hobbyist", None, None, D[0]),
        ("r1", "benchmark_researcher", None, None, D[0]),  # a false positive
        ("q1", "hobbyist", None, None, D[0]),  # active only before the window
    ]
    return pd.DataFrame(
        rows, columns=["account_id", "population", "campaign_id", "tactic", "first_active_on"]
    )


def _flags() -> pd.DataFrame:
    rows = [
        ("a1", D[4], True),  # before the window: does not count
        ("a1", D[5], False),
        ("a1", D[6], True),
        ("a2", D[6], True),
        ("a3", D[6], False),
        ("a3", D[8], True),
        ("a4", D[7], False),
        ("a4", D[9], False),
        ("b1", D[5], False),
        ("b2", D[6], True),
        ("h1", D[5], False),
        ("h2", D[6], False),
        ("h3", D[9], False),
        ("r1", D[7], True),
        ("r1", D[8], False),
        ("q1", D[2], True),  # outside the window
    ]
    return pd.DataFrame(rows, columns=["account_id", "dt", "flagged"])


def test_overall_figures_count_accounts_over_the_window() -> None:
    card = scorecard(_flags(), _truth(), *WINDOW)
    # Active in window: a1 a2 a3 a4 b1 b2 h1 h2 h3 r1 = 10; flagged: a1 a2 a3 b2 r1 = 5.
    assert card.active_accounts == 10
    assert card.flagged_accounts == 5
    assert card.precision == pytest.approx(4 / 5)
    assert card.recall == pytest.approx(4 / 6)
    assert card.legit_false_positive_rate == pytest.approx(1 / 4)


def test_tactic_rows_measure_recall_and_days_to_first_flag() -> None:
    card = scorecard(_flags(), _truth(), *WINDOW, left_out="release_pivot")
    rows = {row.tactic: row for row in card.tactics}
    slow = rows["low_and_slow"]
    assert (slow.active, slow.flagged, slow.recall) == (4, 3, 0.75)
    # New accounts a2 (0 d), a3 (2 d), a4 (never): one of three within a day.
    assert slow.new_accounts == 3
    assert slow.flagged_within_1d == pytest.approx(1 / 3)
    assert slow.latency_p50_days == 2.0
    assert slow.latency_p90_days is None  # the slowest tenth was never flagged
    assert slow.campaigns_started_in_window == 0  # camp-1 began before the window
    assert not slow.labels_left_out
    pivot = rows["release_pivot"]
    assert (pivot.active, pivot.flagged) == (2, 1)
    assert pivot.campaigns_started_in_window == 1
    assert pivot.campaigns_never_flagged == 0
    assert pivot.campaign_latency_days == 1.0  # began day 6, first flag day 7
    assert pivot.labels_left_out


def test_population_rows_give_each_look_alike_its_rate() -> None:
    card = scorecard(_flags(), _truth(), *WINDOW)
    rows = {row.population: row for row in card.populations}
    assert (rows["hobbyist"].active, rows["hobbyist"].flagged) == (3, 0)
    assert rows["benchmark_researcher"].rate == 1.0
    assert rows["campaign_pop"].abusive
    assert card.worst_legit_population_rate == 1.0


def test_a_campaign_never_flagged_is_reported_as_such() -> None:
    flags = _flags()
    flags.loc[flags["account_id"].isin(["b1", "b2"]), "flagged"] = False
    card = scorecard(flags, _truth(), *WINDOW)
    pivot = {row.tactic: row for row in card.tactics}["release_pivot"]
    assert pivot.campaigns_never_flagged == 1
    assert pivot.campaign_latency_days is None
    assert "never (1 of 1)" in markdown(card)


def test_scored_accounts_missing_from_the_truth_are_an_error() -> None:
    flags = pd.concat(
        [_flags(), pd.DataFrame([("zz", D[6], False)], columns=["account_id", "dt", "flagged"])]
    )
    with pytest.raises(ValueError, match="not in the truth"):
        scorecard(flags, _truth(), *WINDOW)


def test_as_dict_is_json_ready() -> None:
    import json

    card = scorecard(_flags(), _truth(), *WINDOW)
    text = json.dumps(card.as_dict())
    assert "NaN" not in text and "Infinity" not in text


def test_group_figures_count_an_account_flagged_on_any_day_once() -> None:
    flags = pd.DataFrame(
        {
            "account_id": ["c1", "c1", "c2", "u1", "u2", "u2"],
            "flagged": [False, True, False, True, False, False],
        }
    )
    truth = pd.DataFrame(
        {
            "account_id": ["c1", "c2", "u1", "u2"],
            "population": ["campaign", "campaign", "individual", "individual"],
            "campaign_id": ["proxy_network", "proxy_network", None, None],
        }
    )
    figures = group_figures(flags, truth)
    assert figures["groups"] == [
        {"group": "proxy_network", "abusive": True, "active": 2, "flagged": 1},
        {"group": "individual", "abusive": False, "active": 2, "flagged": 1},
    ]
    assert (figures["precision"], figures["recall"], figures["flagged"]) == (0.5, 0.5, 2)
