"""Day leases: one sweep at a time per lake day.

Two sweeps of one day (a late scheduled run beside a backfill, two workers, a
person rerunning a day by hand) would share the day's staging folders, its
``status.json`` and its landing, and interleave their writes. Prefect's queue
limit only covers runs of one deployment; the lease covers every caller,
because every sweep of a lake lands in the same queue database.

A lease is a row (lake, day) -> holder with an expiry. Taking it is one write
transaction (``BEGIN IMMEDIATE`` on SQLite, a row lock on PostgreSQL; a
concurrent first insert loses on the primary key). The holder renews it in the
background; a sweep that died stops renewing, and its days are free again
``ttl`` later. A holder that finds its lease taken (it stalled past ``ttl``)
stops at its next stage boundary instead of writing over the new holder. A
holder that is a dead process on this host frees its days at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from review.engine import write_session
from review.errors import ReviewError
from review.tables import DayLease, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LeaseInfo:
    holder: str
    acquired_at: datetime
    expires_at: datetime


class DayHeld(ReviewError):
    """Another sweep holds the day and did not let go within the wait."""

    def __init__(self, lake: str, day: date, info: LeaseInfo | None, waited: float) -> None:
        self.day, self.info = day, info
        who = (
            f"{info.holder} (since {info.acquired_at:%Y-%m-%d %H:%M:%S}, "
            f"lease until {info.expires_at:%H:%M:%S} UTC unless renewed)"
            if info is not None
            else "another sweep"
        )
        super().__init__(
            f"{day} of {lake} is being swept by {who}; waited {waited:.0f} s. "
            "Run again when that sweep has finished (a dead one frees the day when its lease lapses)"
        )


class LeaseLost(ReviewError):
    """This sweep's lease lapsed and another sweep took the day."""

    def __init__(self, lake: str, days: list[date]) -> None:
        self.days = days
        shown = ", ".join(day.isoformat() for day in days)
        super().__init__(
            f"this sweep lost its lease on {shown} of {lake} (it stalled past the lease time "
            "and another sweep took the day): stopping so the two do not interleave"
        )


def new_holder(run_id: str | None = None) -> str:
    """A name for this process's sweep: host, pid and the run, for the message others see."""
    return f"{socket.gethostname()}:{os.getpid()}:{run_id or uuid.uuid4().hex[:12]}"[:200]


def _holder_is_gone(holder: str) -> bool:
    """Whether ``holder`` names a process of this host that no longer runs.

    A sweep killed on this machine (a worker restart, SIGKILL) frees its days at
    once instead of after the lease time; a holder on another host, or one that
    cannot be told, is trusted until its lease lapses.
    """
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists under another user
        return False
    return False


def _key(lake: str, day: date) -> sa.ColumnElement[bool]:
    return sa.and_(DayLease.lake == lake, DayLease.day == day)


def try_acquire(
    engine: Engine, lake: str, day: date, holder: str, ttl: timedelta
) -> LeaseInfo | None:
    """Take (or renew) the day for ``holder``: ``None`` when it holds it, else who does."""
    try:
        with write_session(engine) as session:
            now = utcnow()
            row = session.execute(
                sa.select(DayLease).where(_key(lake, day)).with_for_update()
            ).scalar_one_or_none()
            if row is None:
                session.add(
                    DayLease(
                        lake=lake, day=day, holder=holder, acquired_at=now, expires_at=now + ttl
                    )
                )
                return None
            if row.holder == holder or row.expires_at <= now or _holder_is_gone(row.holder):
                if row.holder != holder:
                    log.warning(
                        "taking %s from %s: it lapsed or its process is gone", day, row.holder
                    )
                    row.acquired_at = now
                row.holder, row.expires_at = holder, now + ttl
                return None
            return LeaseInfo(row.holder, row.acquired_at, row.expires_at)
    except sa.exc.IntegrityError:
        return None if holder == _holder_of(engine, lake, day) else _info(engine, lake, day)


def _holder_of(engine: Engine, lake: str, day: date) -> str | None:
    info = _info(engine, lake, day)
    return None if info is None else info.holder


def _info(engine: Engine, lake: str, day: date) -> LeaseInfo | None:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(DayLease.holder, DayLease.acquired_at, DayLease.expires_at).where(
                _key(lake, day)
            )
        ).one_or_none()
    return None if row is None else LeaseInfo(*row)


def renew(engine: Engine, lake: str, days: list[date], holder: str, ttl: timedelta) -> list[date]:
    """Extend ``holder``'s leases on ``days``; return the days it no longer holds."""
    lost = []
    with write_session(engine) as session:
        now = utcnow()
        for day in days:
            updated = session.execute(
                sa.update(DayLease)
                .where(_key(lake, day), DayLease.holder == holder)
                .values(expires_at=now + ttl)
            )
            if updated.rowcount != 1:  # type: ignore[attr-defined]
                lost.append(day)
    return lost


def release(engine: Engine, lake: str, days: list[date], holder: str) -> None:
    """Give the days back (only those ``holder`` still holds)."""
    with write_session(engine) as session:
        for day in days:
            session.execute(sa.delete(DayLease).where(_key(lake, day), DayLease.holder == holder))


class DayLeases:
    """The days one sweep holds, renewed in the background until it is closed.

    ``acquire`` takes days in date order (two sweeps over overlapping ranges
    cannot deadlock), waiting up to ``wait`` for each; ``check`` raises
    ``LeaseLost`` when renewal found a day taken; closing releases every day.
    """

    def __init__(
        self,
        engine: Engine,
        lake: str,
        holder: str,
        ttl: timedelta,
        wait: timedelta,
        poll_seconds: float = 2.0,
    ) -> None:
        if ttl <= timedelta(0):
            raise ValueError(f"a lease needs a positive time, not {ttl}")
        self.engine, self.lake, self.holder = engine, lake, holder
        self.ttl, self.wait, self.poll_seconds = ttl, wait, poll_seconds
        self.days: list[date] = []
        self._lost: list[date] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def acquire(self, days: list[date]) -> None:
        for day in sorted(set(days) - set(self.days)):
            started = time.monotonic()
            while (
                info := try_acquire(self.engine, self.lake, day, self.holder, self.ttl)
            ) is not None:
                waited = time.monotonic() - started
                if waited >= self.wait.total_seconds():
                    raise DayHeld(self.lake, day, info, waited)
                log.info("%s is being swept by %s: waiting", day, info.holder)
                time.sleep(min(self.poll_seconds, max(0.05, self.wait.total_seconds() - waited)))
            with self._lock:
                self.days.append(day)
        if self._beat is None and self.days:
            self._beat = threading.Thread(
                target=self._renew_forever, name="day-leases", daemon=True
            )
            self._beat.start()

    def _renew_forever(self) -> None:
        # A third of the lease: two renewals can fail (a database blip) before it lapses.
        while not self._stop.wait(self.ttl.total_seconds() / 3):
            self.renew()

    def renew(self) -> None:
        with self._lock:
            days = [day for day in self.days if day not in self._lost]
        if not days:
            return
        try:
            lost = renew(self.engine, self.lake, days, self.holder, self.ttl)
        except sa.exc.SQLAlchemyError as exc:  # the next beat tries again
            log.warning("could not renew the day leases: %s", exc)
            return
        if lost:
            with self._lock:
                self._lost.extend(lost)

    def check(self) -> None:
        """Raise ``LeaseLost`` if another sweep took one of our days."""
        with self._lock:
            lost = sorted(self._lost)
        if lost:
            raise LeaseLost(self.lake, lost)

    def close(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
        with self._lock:
            days, self.days = self.days, []
        if days:
            release(self.engine, self.lake, days, self.holder)

    def __enter__(self) -> DayLeases:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
