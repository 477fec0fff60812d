"""Write one simulated day into the lake exactly as a producer would.

Order matters to readers: the day's ``_SUCCESS`` markers are removed first (a
rewritten day is not complete while it is being written), then the request
files are streamed (gzip, several files like several edge hosts, a few bad
lines and duplicate deliveries among them), then the account snapshot, and
only then the two markers. Gzip headers carry no time or name, so a seed
gives byte-identical files on any store.
"""

from __future__ import annotations

import contextlib
import gzip
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from lakeio import ObjectStore, layout
from simulate import accounts as A
from simulate import catalog, faults, text, traffic
from simulate.accounts import Directory
from simulate.config import BAD_LINE_KINDS, SimulationConfig

# Log shippers favour fast gzip: level 3 costs ~10% more bytes than level 6 at about half the
# CPU, and real prompt text (~1.8 KB a request) makes compression the simulator's largest cost.
GZIP_LEVEL = 3


@dataclass(frozen=True)
class DaySummary:
    """What was written for one day; the manifest and the CLI summary are built from it."""

    day: date
    requests: int  # good, distinct requests
    lines: int  # every line written: good, duplicate and bad
    bad_lines: dict[str, int]
    duplicates: int
    files: tuple[str, ...]
    accounts_in_snapshot: int
    active_accounts: int
    requests_by_population: dict[str, int] = field(default_factory=dict)
    new_model_requests_by_population: dict[str, int] = field(default_factory=dict)
    requests_by_campaign: dict[str, int] = field(default_factory=dict)
    new_model_requests_by_campaign: dict[str, int] = field(default_factory=dict)
    # Directory indices of the accounts that sent a good request (the runner's first activity).
    active_indices: tuple[int, ...] = field(default=(), repr=False, compare=False)

    @property
    def bad_line_total(self) -> int:
        return sum(self.bad_lines.values())

    def describe(self) -> dict[str, object]:
        return {
            "day": self.day.isoformat(),
            "requests": self.requests,
            "lines": self.lines,
            "bad_lines": dict(self.bad_lines),
            "bad_lines_total": self.bad_line_total,
            "duplicates": self.duplicates,
            "files": list(self.files),
            "accounts_in_snapshot": self.accounts_in_snapshot,
            "active_accounts": self.active_accounts,
            "requests_by_population": dict(self.requests_by_population),
            "new_model_requests_by_population": dict(self.new_model_requests_by_population),
            "requests_by_campaign": dict(self.requests_by_campaign),
            "new_model_requests_by_campaign": dict(self.new_model_requests_by_campaign),
        }


@contextlib.contextmanager
def gzip_writer(store: ObjectStore, key: str) -> Iterator[gzip.GzipFile]:
    """A gzip stream into ``key``: no file name and mtime 0 in the header (reproducible)."""
    with (
        store.open_write(key) as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0) as gz,
    ):
        yield gz


def day_rng(config: SimulationConfig, day: date) -> np.random.Generator:
    """The day's own generator: derived from (seed, day) only."""
    return np.random.default_rng([config.seed, 0xDA7, day.toordinal()])


def request_files(config: SimulationConfig, day: date) -> list[str]:
    prefix = layout.raw_day_prefix("requests", day)
    return [f"{prefix}part-{i:05d}.jsonl.gz" for i in range(config.files_per_day)]


def write_day(
    store: ObjectStore,
    config: SimulationConfig,
    directory: Directory,
    index: int,
    bank: text.TextBank | None = None,
) -> DaySummary:
    day = config.day_list[index]
    rng = day_rng(config, day)
    bank = bank if bank is not None else text.load_bank(config.corpus_dir)
    ctx = traffic.day_context(config, directory, index, rng)
    accounts, times = traffic.day_arrivals(directory, config, ctx, rng)

    for dataset in layout.RAW_DATASETS:  # a rewritten day is incomplete until it is done
        store.delete_prefix(layout.raw_day_prefix(dataset, day))

    files = request_files(config, day)
    bad_counts: Counter[str] = Counter({kind: 0 for kind in BAD_LINE_KINDS})
    by_population: Counter[str] = Counter()
    new_model_by_population: Counter[str] = Counter()
    by_campaign: Counter[str] = Counter()
    new_model_by_campaign: Counter[str] = Counter()
    campaign_ids = [plan.campaign_id for plan in directory.campaigns]
    duplicates = lines = 0
    active: set[int] = set()
    day_iso = day.isoformat()
    with contextlib.ExitStack() as stack:
        outputs = [stack.enter_context(gzip_writer(store, key)) for key in files]
        for begin in range(0, accounts.size, config.chunk_size):
            chunk = traffic.request_chunk(
                directory,
                ctx,
                accounts[begin : begin + config.chunk_size],
                times[begin : begin + config.chunk_size],
                rng,
                bank,
            )
            rendered = _render_chunk(chunk, directory, config, day, day_iso, rng)
            for output, buffer in zip(outputs, rendered.files, strict=True):
                if buffer:
                    output.write(("\n".join(buffer) + "\n").encode("utf-8"))
            lines += rendered.lines
            duplicates += rendered.duplicates
            bad_counts.update(rendered.bad_lines)
            good = rendered.good
            good_accounts = chunk.account[good]
            active.update(np.unique(good_accounts).tolist())
            codes = directory.population_codes[good_accounts]
            new_model = np.asarray(chunk.model, dtype=object)[good] == catalog.MODEL_NEW
            for code, count in zip(*np.unique(codes, return_counts=True), strict=True):
                by_population[A.POPULATIONS[code]] += int(count)
            for code, count in zip(*np.unique(codes[new_model], return_counts=True), strict=True):
                new_model_by_population[A.POPULATIONS[code]] += int(count)
            campaigns = directory.campaign_index[good_accounts]
            in_campaign = campaigns >= 0
            for index_, count in zip(
                *np.unique(campaigns[in_campaign], return_counts=True), strict=True
            ):
                by_campaign[campaign_ids[index_]] += int(count)
            for index_, count in zip(
                *np.unique(campaigns[in_campaign & new_model], return_counts=True), strict=True
            ):
                new_model_by_campaign[campaign_ids[index_]] += int(count)

    snapshot_members = write_snapshot(store, directory, day)
    for dataset in layout.RAW_DATASETS:  # markers last: the day is complete
        store.write_bytes(layout.success_key(dataset, day), b"")

    return DaySummary(
        day=day,
        requests=sum(by_population.values()),
        lines=lines,
        bad_lines=dict(bad_counts),
        duplicates=duplicates,
        files=tuple(files),
        accounts_in_snapshot=snapshot_members,
        active_accounts=len(active),
        requests_by_population=dict(sorted(by_population.items())),
        new_model_requests_by_population=dict(sorted(new_model_by_population.items())),
        requests_by_campaign=dict(sorted(by_campaign.items())),
        new_model_requests_by_campaign=dict(sorted(new_model_by_campaign.items())),
        active_indices=tuple(sorted(active)),
    )


def write_snapshot(store: ObjectStore, directory: Directory, day: date) -> int:
    """The full account directory at the end of ``day`` (every account created so far)."""
    end_ms = A.day_start_ms(day) + A.DAY_MS
    members = directory.created_by(end_ms)
    key = layout.raw_day_prefix("accounts", day) + "part-00000.jsonl.gz"
    with gzip_writer(store, key) as out:
        batch: list[str] = []
        for index in members.tolist():
            batch.append(directory.snapshot_line(index))
            if len(batch) >= 10_000:
                out.write(("\n".join(batch) + "\n").encode("utf-8"))
                batch = []
        if batch:
            out.write(("\n".join(batch) + "\n").encode("utf-8"))
    return int(members.size)


@dataclass(frozen=True)
class RenderedChunk:
    files: list[list[str]]  # the lines for each of the day's files, in write order
    lines: int
    bad_lines: Counter[str]
    duplicates: int
    good: np.ndarray  # mask over the chunk's requests that were written as good lines


def _render_chunk(
    chunk: traffic.RequestChunk,
    directory: Directory,
    config: SimulationConfig,
    day: date,
    day_iso: str,
    rng: np.random.Generator,
) -> RenderedChunk:
    """JSON lines of a chunk, spread over the day's files, with bad lines and duplicates."""
    n = chunk.account.size
    file_of = rng.integers(0, config.files_per_day, n).tolist()
    bad = rng.random(n) < config.bad_line_rate
    bad_kind = rng.integers(0, len(BAD_LINE_KINDS), n).tolist()
    duplicate = (rng.random(n) < config.duplicate_rate) & ~bad
    redelivery_file = rng.integers(0, config.files_per_day, n).tolist()
    r = random.Random(int(rng.integers(2**62)))

    ms = chunk.ts_ms
    hours, minutes, seconds, millis = (
        ms // 3_600_000,
        ms // 60_000 % 60,
        ms // 1000 % 60,
        ms % 1000,
    )
    buffers: list[list[str]] = [[] for _ in range(config.files_per_day)]
    redeliveries: list[list[str]] = [[] for _ in range(config.files_per_day)]
    bad_lines: Counter[str] = Counter()
    accounts = directory.accounts
    columns = zip(
        chunk.account.tolist(),
        hours.tolist(),
        minutes.tolist(),
        seconds.tolist(),
        millis.tolist(),
        chunk.request_id,
        chunk.api_key_id,
        chunk.ip,
        chunk.asn,
        chunk.country,
        chunk.user_agent,
        chunk.model,
        chunk.input_tokens.tolist(),
        chunk.output_tokens.tolist(),
        chunk.latency_ms.tolist(),
        chunk.status.tolist(),
        chunk.stream,
        chunk.region,
        chunk.system_prompt,
        chunk.prompt,
        bad.tolist(),
        duplicate.tolist(),
        strict=True,
    )
    for i, (
        a,
        h,
        m,
        s,
        milli,
        request_id,
        key,
        ip,
        asn,
        country,
        agent,
        model,
        tokens_in,
        tokens_out,
        latency,
        status,
        stream,
        region,
        system_prompt,
        prompt,
        is_bad,
        is_duplicate,
    ) in enumerate(columns):
        account = accounts[a]
        record = {
            "request_id": request_id,
            "ts": f"{day_iso}T{h:02d}:{m:02d}:{s:02d}.{milli:03d}Z",
            "account_id": account.account_id,
            "api_key_id": key,
            "org_id": account.org_id,
            "ip": ip,
            "asn": asn,
            "country": country,
            "user_agent": agent,
            "model": model,
            "input_tokens": tokens_in,
            "output_tokens": tokens_out,
            "latency_ms": latency,
            "status": status,
            "stream": stream,  # producer extras the pipeline must ignore
            "region": region,
            "system_prompt": system_prompt,
            "prompt": prompt,
        }
        if is_bad:
            kind = BAD_LINE_KINDS[bad_kind[i]]
            bad_lines[kind] += 1
            buffers[file_of[i]].append(faults.CORRUPTIONS[kind](record, r, day))
            continue
        line = faults.json_line(record)
        buffers[file_of[i]].append(line)
        if is_duplicate:
            # At-least-once delivery: the same line again, later, maybe from another host.
            redeliveries[redelivery_file[i]].append(line)
    for buffer, extra in zip(buffers, redeliveries, strict=True):
        buffer.extend(extra)
    duplicates = int(duplicate.sum())
    return RenderedChunk(buffers, n + duplicates, bad_lines, duplicates, ~bad)
