"""Server-rendered plots for the console: inline SVG.

No JavaScript and no external assets (the console runs offline under a strict
Content-Security-Policy). Only presentation attributes are used, never a
``style`` attribute, which that policy would block. The activity timeline and
the lanes are drawn from numbers; the cluster graph also shows account ids and
entity values, always escaped and made inert (in tooltips and labels).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date

from markupsafe import Markup, escape

from review.records import EntityCount, EvidenceView, MemberView
from review.text import inert

MAX_DAYS = 14
_BAR_W = 4
_GAP_DAY = 10
_HEIGHT = 120
_TOP = 14
_AXIS = 28


def hourly_activity(evidence: list[EvidenceView]) -> dict[date, list[int]]:
    """Requests per UTC hour per sweep day, summed over the day's clusters of the case."""
    days: dict[date, list[int]] = defaultdict(lambda: [0] * 24)
    for ev in evidence:
        if len(ev.hourly_requests) != 24:
            continue
        row = days[ev.sweep_date]
        for hour, count in enumerate(ev.hourly_requests):
            row[hour] += max(0, int(count))
    return dict(sorted(days.items())[-MAX_DAYS:])


def timeline_svg(evidence: list[EvidenceView]) -> Markup:
    """An activity timeline: one bar per hour, days side by side, the busiest hour on top."""
    days = hourly_activity(evidence)
    if not days:
        return Markup('<p class="muted">No hourly activity recorded for this case.</p>')
    peak = max(max(row) for row in days.values()) or 1
    day_w = 24 * _BAR_W
    width = len(days) * (day_w + _GAP_DAY) + 40
    height = _TOP + _HEIGHT + _AXIS
    parts = [
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="timeline-title">',
        f'<title id="timeline-title">Requests per UTC hour, {len(days)} sweep day(s), '
        f"peak {peak:,} requests an hour</title>",
        f'<text x="0" y="10" font-size="10" fill="#555">{peak:,} req/h</text>',
        f'<line x1="36" y1="{_TOP}" x2="{width}" y2="{_TOP}" stroke="#ddd"/>',
        f'<line x1="36" y1="{_TOP + _HEIGHT}" x2="{width}" y2="{_TOP + _HEIGHT}" stroke="#999"/>',
    ]
    for index, (day, row) in enumerate(days.items()):
        x0 = 40 + index * (day_w + _GAP_DAY)
        for hour, count in enumerate(row):
            bar = round(_HEIGHT * count / peak, 1)
            if bar <= 0:
                continue
            parts.append(
                f'<rect x="{x0 + hour * _BAR_W}" y="{_TOP + _HEIGHT - bar}" '
                f'width="{_BAR_W - 1}" height="{bar}" fill="#b0413e">'
                f"<title>{escape(day.isoformat())} {hour:02d}:00 UTC: {count:,} requests</title>"
                "</rect>"
            )
        parts.append(
            f'<text x="{x0}" y="{_TOP + _HEIGHT + 14}" font-size="10" fill="#333">'
            f"{escape(day.strftime('%b %d'))}</text>"
        )
        parts.append(
            f'<text x="{x0}" y="{_TOP + _HEIGHT + 25}" font-size="9" fill="#777">00h</text>'
            f'<text x="{x0 + 12 * _BAR_W}" y="{_TOP + _HEIGHT + 25}" font-size="9" '
            f'fill="#777">12h</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


# --- the cluster as a graph: accounts around the entities that linked them ------------------
GRAPH_ACCOUNTS = 60
GRAPH_ENTITIES = 16
_TYPE_COLOURS = ("#1f5f8b", "#b0413e", "#8a6d3b", "#2e7d32", "#6a3d9a", "#b15928", "#555555")


def cluster_svg(
    members: list[MemberView], entities: list[EntityCount], outcome_colours: dict[str, str]
) -> Markup:
    """Accounts (outer ring) joined to the entities that linked them (inner ring), by type.

    Only the page's members (up to ``GRAPH_ACCOUNTS``) and the case's most shared
    entities (``GRAPH_ENTITIES``) are drawn; every label is a tooltip, escaped
    and made inert, so hostile values stay text.
    """
    shown = entities[:GRAPH_ENTITIES]
    keys = {(e.type, e.value) for e in shown}
    accounts = [m for m in members[:GRAPH_ACCOUNTS] if any(_key(x) in keys for x in m.links)]
    if not shown or not accounts:
        return Markup('<p class="muted">No linking entities recorded for these members.</p>')
    types = sorted({e.type for e in shown})
    colour = {t: _TYPE_COLOURS[i % len(_TYPE_COLOURS)] for i, t in enumerate(types)}
    size, centre = 520, 260
    entity_at = _ring(len(shown), centre, 110)
    account_at = _ring(len(accounts), centre, 230)
    where = {(e.type, e.value): entity_at[i] for i, e in enumerate(shown)}
    parts = [
        f'<svg class="cluster" xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" role="img" aria-labelledby="cluster-title">',
        f'<title id="cluster-title">{len(accounts)} accounts and the {len(shown)} entities '
        "that linked them</title>",
    ]
    for (ax, ay), member in zip(account_at, accounts, strict=True):
        for link in member.links:
            if _key(link) in where:
                ex, ey = where[_key(link)]
                parts.append(
                    f'<line x1="{ax}" y1="{ay}" x2="{ex}" y2="{ey}" '
                    f'stroke="{colour[link["type"]]}" stroke-opacity="0.35"/>'
                )
    for (x, y), entity in zip(entity_at, shown, strict=True):
        parts.append(
            f'<rect class="entity" x="{x - 7}" y="{y - 7}" width="14" height="14" '
            f'fill="{colour[entity.type]}"><title>{_label(entity.type)}: {_label(entity.value)} '
            f"({entity.members} members{_days(entity)})</title></rect>"
        )
    for (x, y), member in zip(account_at, accounts, strict=True):
        fill = outcome_colours.get(str(member.outcome or ""), "#ffffff")
        parts.append(
            f'<circle class="account" cx="{x}" cy="{y}" r="6" fill="{fill}" stroke="#22313b">'
            f"<title>{_label(member.account_id)} (score {member.score:.3f})</title></circle>"
        )
    parts.append("</svg>")
    legend = "".join(
        f'<li><svg width="12" height="12" xmlns="http://www.w3.org/2000/svg"><rect width="12" '
        f'height="12" fill="{colour[t]}"/></svg> {_label(t)}{_span(shown, t)}</li>'
        for t in types
    )
    return Markup("".join(parts) + f'<ul class="legend">{legend}</ul>')


def _days(entity: EntityCount) -> str:
    if entity.first_seen is None or entity.last_seen is None:
        return ""
    if entity.first_seen == entity.last_seen:
        return f", {entity.first_seen}"
    return f", {entity.first_seen} to {entity.last_seen}"


def _span(entities: list[EntityCount], kind: str) -> str:
    """The days links of ``kind`` tied accounts together, for the legend."""
    days = [e for e in entities if e.type == kind and e.first_seen and e.last_seen]
    if not days:
        return ""
    first = min(e.first_seen for e in days if e.first_seen)
    last = max(e.last_seen for e in days if e.last_seen)
    return f" ({first} to {last})" if first != last else f" ({first})"


def _key(link: dict[str, str]) -> tuple[str, str]:
    return (str(link.get("type", "")), str(link.get("value", "")))


def _ring(n: int, centre: int, radius: int) -> list[tuple[float, float]]:
    return [
        (
            round(centre + radius * math.cos(2 * math.pi * i / max(n, 1) - math.pi / 2), 1),
            round(centre + radius * math.sin(2 * math.pi * i / max(n, 1) - math.pi / 2), 1),
        )
        for i in range(n)
    ]


def _label(value: object) -> Markup:
    return escape(inert(value))


# --- activity lanes: one row per account, one cell per UTC hour ------------------------------
LANES = 40
_CELL_W, _CELL_H, _LANE_LABEL = 16, 12, 150


def activity_lanes_svg(members: list[MemberView]) -> Markup:
    """Each account's requests per UTC hour on its latest day with hourly counts.

    Accounts of one campaign light up in the same hours: synchrony shows as
    columns. Cell shade is the share of that account's own busiest hour.
    """
    lanes = [(m, s) for m in members[:LANES] if (s := _latest_hourly(m)) is not None]
    if not lanes:
        return Markup('<p class="muted">No per-account hourly activity was handed over.</p>')
    width = _LANE_LABEL + 24 * _CELL_W + 10
    height = 20 + len(lanes) * (_CELL_H + 2)
    parts = [
        f'<svg class="lanes" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="lanes-title">',
        '<title id="lanes-title">Requests per UTC hour, one row per account</title>',
    ]
    for hour in range(0, 24, 6):
        parts.append(
            f'<text x="{_LANE_LABEL + hour * _CELL_W}" y="12" font-size="10" '
            f'fill="#777">{hour:02d}h</text>'
        )
    for row, (member, (day, hourly)) in enumerate(lanes):
        y = 18 + row * (_CELL_H + 2)
        peak = max(hourly) or 1
        parts.append(
            f'<text class="lane-label" x="0" y="{y + _CELL_H - 2}" font-size="10" fill="#333">'
            f"{_label(member.account_id[:24])}</text>"
        )
        for hour, count in enumerate(hourly):
            if count > 0:
                parts.append(
                    f'<rect class="cell" x="{_LANE_LABEL + hour * _CELL_W}" y="{y}" '
                    f'width="{_CELL_W - 1}" height="{_CELL_H}" fill="#b0413e" '
                    f'fill-opacity="{round(0.15 + 0.85 * count / peak, 2)}"><title>'
                    f"{_label(member.account_id)} {escape(day.isoformat())} {hour:02d}:00 UTC: "
                    f"{count:,} requests</title></rect>"
                )
    parts.append("</svg>")
    return Markup("".join(parts))


def _latest_hourly(member: MemberView) -> tuple[date, list[int]] | None:
    for sighting in sorted(member.sightings, key=lambda s: s.sweep_date, reverse=True):
        if len(sighting.hourly_requests) == 24:
            return sighting.sweep_date, [max(0, int(v)) for v in sighting.hourly_requests]
    return None
