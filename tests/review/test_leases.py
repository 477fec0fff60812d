"""Day leases on SQLite and PostgreSQL: two sweeps of one day serialize, a dead
sweep's day is freed when its lease lapses, and a sweep that lost its day stops."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from review.leases import DayHeld, DayLeases, LeaseLost, try_acquire
from review.tables import DayLease

LAKE = "s3://bucket/lake"
DAY = date(2026, 11, 5)
LONG = timedelta(minutes=10)


def test_two_sweeps_of_one_day_serialize(queue: Engine) -> None:
    spans: dict[str, tuple[float, float]] = {}
    errors: list[BaseException] = []
    first_holds = threading.Event()

    def sweep(name: str) -> None:
        try:
            with DayLeases(
                queue, LAKE, name, ttl=LONG, wait=timedelta(seconds=30), poll_seconds=0.05
            ) as leases:
                leases.acquire([DAY])
                started = time.monotonic()
                first_holds.set()
                time.sleep(0.5)  # the "sweep": long enough for the other to try meanwhile
                leases.check()
                spans[name] = (started, time.monotonic())
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    first = threading.Thread(target=sweep, args=("first",))
    first.start()
    assert first_holds.wait(10)
    second = threading.Thread(target=sweep, args=("second",))
    second.start()
    first.join(30)
    second.join(30)
    assert errors == []
    assert spans["second"][0] >= spans["first"][1]  # the second started after the first ended
    with queue.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(DayLease)).scalar() == 0


def test_a_held_day_fails_after_the_wait_naming_its_holder(queue: Engine) -> None:
    with DayLeases(queue, LAKE, "host:1:backfill-run", ttl=LONG, wait=timedelta(0)) as holder:
        holder.acquire([DAY, DAY + timedelta(days=1)])
        other = DayLeases(queue, LAKE, "host:2:daily", ttl=LONG, wait=timedelta(seconds=0.3))
        started = time.monotonic()
        with pytest.raises(DayHeld, match="being swept by host:1:backfill-run") as raised:
            other.acquire([DAY + timedelta(days=1), DAY + timedelta(days=2)])
        assert time.monotonic() - started >= 0.3
        assert raised.value.day == DAY + timedelta(days=1)
        other.close()
        # The same holder takes its own day again (a retried stage), another lake is free.
        assert try_acquire(queue, LAKE, DAY, "host:1:backfill-run", LONG) is None
        assert try_acquire(queue, "file:///other/lake", DAY, "host:2:daily", LONG) is None
    # Closing gave the days back.
    assert try_acquire(queue, LAKE, DAY + timedelta(days=1), "host:2:daily", LONG) is None


def test_a_lapsed_lease_is_taken_and_its_old_holder_stops(queue: Engine) -> None:
    stalled = DayLeases(queue, LAKE, "stalled", ttl=timedelta(seconds=5), wait=timedelta(0))
    stalled.acquire([DAY])
    # The stalled sweep's heartbeat stopped (a frozen process): its lease runs out.
    stalled._stop.set()
    with queue.begin() as conn:
        conn.execute(sa.update(DayLease).values(expires_at=datetime(2026, 1, 1, tzinfo=UTC)))
    with DayLeases(queue, LAKE, "fresh", ttl=LONG, wait=timedelta(0)) as fresh:
        fresh.acquire([DAY])
        stalled.renew()
        with pytest.raises(LeaseLost, match=f"lost its lease on {DAY}"):
            stalled.check()
        stalled.close()  # releasing what it no longer holds leaves the new holder alone
        with queue.connect() as conn:
            holder = conn.execute(sa.select(DayLease.holder)).scalar_one()
        assert holder == "fresh"
        fresh.check()


def test_the_heartbeat_keeps_a_long_sweep_s_day(queue: Engine) -> None:
    ttl = timedelta(seconds=5)
    with DayLeases(queue, LAKE, "long", ttl=ttl, wait=timedelta(0)) as leases:
        leases.acquire([DAY])
        with queue.connect() as conn:
            first = conn.execute(sa.select(DayLease.expires_at)).scalar_one()
        time.sleep(ttl.total_seconds() / 3 + 1.0)
        with queue.connect() as conn:
            later = conn.execute(sa.select(DayLease.expires_at)).scalar_one()
        assert later > first
        assert try_acquire(queue, LAKE, DAY, "other", ttl) is not None
        leases.check()


def test_a_killed_sweep_on_this_host_frees_its_day_at_once(queue: Engine) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = f"{socket.gethostname()}:{int(gone.stdout)}:killed-run"
    assert try_acquire(queue, LAKE, DAY, dead, LONG) is None
    # A live process elsewhere is trusted until its lease lapses; a dead one here is not.
    assert try_acquire(queue, LAKE, DAY, "elsewhere:1:run", LONG) is None
    assert try_acquire(queue, LAKE, DAY, dead, LONG) is not None
    assert try_acquire(queue, LAKE, DAY + timedelta(days=1), dead, LONG) is None
    assert try_acquire(queue, LAKE, DAY + timedelta(days=1), "elsewhere:1:run", LONG) is None
