"""Server-rendered plots for the console: inline SVG built from numbers only.

No JavaScript and no external assets (the console runs offline under a strict
Content-Security-Policy). Only presentation attributes are used, never a
``style`` attribute, which that policy would block. Every piece of text in the
SVG is produced here from dates and integers and escaped anyway.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from markupsafe import Markup, escape

from review.records import EvidenceView

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
