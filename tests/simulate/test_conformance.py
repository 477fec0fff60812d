"""Every line the simulator writes is what the contract says a producer writes.

Hypothesis varies seed, dates, scale, rates and file counts; for each run every
request line is classified independently (contract_check) and the kinds found
must equal the manifest's per-day counts exactly; good lines must satisfy the
whole contract, and every account seen in a day's requests must be in that
day's snapshot.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakeio import layout, open_store
from simulate import BAD_LINE_KINDS, SimulationConfig, load_manifest, run_simulation
from tests.simulate.contract_check import (
    check_account,
    check_good_request,
    classify_request_line,
    parse_ts,
    read_lines,
)

configs = st.builds(
    SimulationConfig,
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    days=st.integers(1, 2),
    seed=st.integers(0, 2**32 - 1),
    scale=st.floats(0.01, 0.03),
    bad_line_rate=st.floats(0.0, 0.05),
    duplicate_rate=st.floats(0.0, 0.02),
    files_per_day=st.integers(1, 3),
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs)
def test_every_line_follows_the_contract(config: SimulationConfig) -> None:
    with tempfile.TemporaryDirectory() as root:
        store = open_store(root)
        summary = run_simulation(store, config)
        manifest = load_manifest(store)
        for day, described in zip(config.day_list, manifest["days"], strict=True):
            kinds: Counter[str] = Counter()
            seen: dict[str, str] = {}
            request_accounts: dict[str, str] = {}
            duplicates = 0
            files = store.raw_day_files("requests", day)
            assert files == described["files"] and len(files) == config.files_per_day
            for key in files:
                for line in read_lines(store, key):
                    kind = classify_request_line(line, day)
                    kinds[kind] += 1
                    if kind != "good":
                        continue
                    record = json.loads(line)
                    check_good_request(record)
                    if record["request_id"] in seen:
                        assert seen[record["request_id"]] == line  # a redelivery is the same line
                        duplicates += 1
                        continue
                    seen[record["request_id"]] = line
                    request_accounts[record["account_id"]] = record["ts"]

            assert {k: kinds[k] for k in BAD_LINE_KINDS} == described["bad_lines"]
            assert duplicates == described["duplicates"]
            assert len(seen) == described["requests"]
            assert kinds.total() == described["lines"]

            snapshot_keys = store.raw_day_files("accounts", day)
            assert snapshot_keys == [layout.raw_day_prefix("accounts", day) + "part-00000.jsonl.gz"]
            snapshot = {}
            for line in read_lines(store, snapshot_keys[0]):
                record = json.loads(line)
                check_account(record)
                snapshot[record["account_id"]] = record
            assert len(snapshot) == described["accounts_in_snapshot"]
            day_end = parse_ts(f"{(day + timedelta(days=1)).isoformat()}T00:00:00.000Z")
            assert all(parse_ts(a["created_at"]) < day_end for a in snapshot.values())
            for account_id, first_ts in request_accounts.items():
                assert account_id in snapshot, account_id
                assert parse_ts(snapshot[account_id]["created_at"]) <= parse_ts(first_ts)

            for dataset in layout.RAW_DATASETS:
                assert store.read_bytes(layout.success_key(dataset, day)) == b""
        assert summary.total_requests == manifest["totals"]["requests"]


def test_snapshot_grows_and_keeps_accounts(simulated_lake) -> None:
    """Each day's snapshot holds every account of the day before (a full directory)."""
    store, days = simulated_lake.store, simulated_lake.config.day_list
    previous: set[str] = set()
    for day in days:
        key = store.raw_day_files("accounts", day)[0]
        current = {json.loads(line)["account_id"] for line in read_lines(store, key)}
        assert previous <= current
        previous = current
    assert previous == set(simulated_lake.truth["account_id"])


def test_extra_fields_and_nulls_occur(shared_requests) -> None:
    """Producers add fields and leave optional ones empty; consumers must cope with both."""
    assert {"stream", "region"} <= set(shared_requests.columns)
    for optional in ("org_id", "asn", "country", "user_agent", "system_prompt"):
        assert shared_requests[optional].isna().any(), optional
        assert shared_requests[optional].notna().any(), optional
    ipv6 = shared_requests["ip"].str.contains(":")
    assert 0.03 < ipv6.mean() < 0.5
    assert set(shared_requests["status"]) >= {200, 429, 400, 500, 529}
    assert (shared_requests["status"] == 200).mean() > 0.9
