"""Long-running subprocesses for tests: started in their own process group with
output in a log file, waited on with a bound, and always stopped.

Each daemon gets its own session so stopping it also stops what it spawned
(a Prefect worker's flow-run processes, a Spark driver's JVM), and nothing
else: the group is the one this helper created.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WaitTimeout(AssertionError):
    """A bounded wait ran out; the message says what was awaited and what was last seen."""


def wait_for(
    probe: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    interval: float = 0.5,
    describe: Callable[[], str] = lambda: "",
) -> T:
    """Call ``probe`` until it returns something other than None (or False), at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() >= deadline:
            detail = describe()
            raise WaitTimeout(
                f"timed out after {timeout:.0f}s waiting for {what}\n{detail}".rstrip()
            )
        time.sleep(interval)


def log_tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path} does not exist)"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return f"--- last lines of {path.name}:\n" + "\n".join(text)


@contextmanager
def background_process(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    log_path: Path,
    cwd: Path | None = None,
    stop_timeout: float = 15.0,
) -> Iterator[subprocess.Popen]:
    """Run ``argv`` in its own process group for the duration of the block."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        stop_process_group(process, timeout=stop_timeout)


def stop_process_group(process: subprocess.Popen, *, timeout: float) -> None:
    """SIGTERM the group this process leads; SIGKILL whatever is left after ``timeout``."""
    group = process.pid  # start_new_session: the process leads its own group
    for sig, grace in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            break
        if _group_gone(process, group, grace):
            break
    if process.poll() is None:
        process.wait(timeout=5)


def _group_gone(process: subprocess.Popen, group: int, grace: float) -> bool:
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        process.poll()  # reap the leader, or it lingers as a zombie in the group
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False
