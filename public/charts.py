"""Geometry of the server-drawn SVG charts; templates only place what is computed here.

Why SVG drawn here rather than the State's own components (`@gouvfr/dsfr-chart`, npm):
version 2.0.4 (MIT, no declared dependency) is a set of Vue.js web components that
bundle Chart.js 4.4.7 and draw on a <canvas>: 3.1 MB packed, 9.8 MB unpacked, 450 kB of
JavaScript for the bar chart alone (750 kB for the whole set), and it needs the DSFR's
JavaScript API as well. Without JavaScript it shows nothing, and what it draws is pixels:
the values and axes are not in the page for a screen reader, a search engine or a test,
and its figures are formatted in the browser (Intl), not by strategy.units, so the chart
could write a figure differently from the table beside it. Server-drawn SVG is in the
HTML: it works without JavaScript and under the CSP (`script-src 'self'`, nothing
inline), costs no bundle nor build step, writes every figure with strategy.units (the
project's one rule), and is tested server side like the rest of the page.

Legible on a phone: an SVG scales with its width, text included. The charts are drawn
360 units wide and shown at most 30rem wide (static/css/suivi.css), so 12-unit text is
about 11.4 px on a 375 px phone (343 px of content) and 16 px at most on a desktop. The
year chart has one row per year, bars running left to right: rows stack down a narrow
screen however many years there are, and each value is written at the end of its bar.

Planned and delivered differ in shape, not only in colour: planned is an outlined bar,
delivered a solid one (the legend uses the same swatches); a line marks the planned
amount across the delivered bar, so a delivered bar running past it (over-delivery) shows,
and the rate (`103 %`) is written under the year.
"""

import datetime
from decimal import ROUND_CEILING, Decimal

from strategy.units import Unit, format_amount, format_rate, format_short

WIDTH = 360
TICKS = 4  # at most this many steps: 3 to 5 ticks, 0 included

# Year bars: a label column (year and rate), the bars, room for the value after a bar.
YEAR_LABELS = 52
VALUE_ROOM = 76
ROW = 46
BAR = 13
BAR_GAP = 3
PLOT_TOP = 6
AXIS_ROOM = 22
CHAR_WIDTH = 7  # a generous width of a 12-unit figure or letter, to keep labels apart

# Cumulative line: tick labels on the left, room above for the last value's label.
LINE_HEIGHT = 200
LINE_LEFT = 56
LINE_RIGHT = 10
LINE_TOP = 24
LINE_BOTTOM = 26


def nice_ticks(top, *, whole=False, steps=TICKS):
    """The value axis' ticks from 0 to at least `top`: 1, 2, 2.5 or 5 times a power of
    ten apart, at most `steps` steps (`steps + 1` ticks). Counted units (places,
    persons…) are never cut in fractions: their ticks are whole. Nothing to show: [0]."""
    top = Decimal(top)
    if top <= 0:
        return [Decimal(0)]
    power = Decimal(1).scaleb((top / steps).adjusted())
    for multiple in (1, 2, Decimal("2.5"), 5, 10):
        step = multiple * power
        if whole and step != step.to_integral_value():
            continue
        if step * steps >= top:
            break
    count = int((top / step).to_integral_value(rounding=ROUND_CEILING))
    return [step * index for index in range(count + 1)]


def _svg(number):
    """SVG wants a dot decimal; a string escapes the templates' French localisation."""
    return f"{number:.1f}"


def _axis(top_value, unit, start, length):
    """Ticks of a value axis running `length` units from `start`, with their labels;
    `place(value)` gives a value's position along the axis."""
    ticks = nice_ticks(top_value, whole=Unit(unit).is_whole)
    top = ticks[-1]

    def place(value):
        if not top:
            return float(start)
        return start + float(Decimal(value) / top) * length

    return place, [{"at": _svg(place(tick)), "label": format_short(tick, unit)} for tick in ticks]


def year_bars(rows, *, key):
    """Planned versus delivered per year, one chart per (key, unit), one row per year.

    rows: totals(key, "year") rows. Returns {(key value, unit): chart}, each chart with
    `unit`, `width`, `height`, the value axis (`ticks`, their `grid_top`, `axis_y` and
    `tick_label_y`), `bars` (per year: the year and rate labels, the planned and
    delivered bars with their value labels, the `target` line at the planned amount)
    and `rows` for the table alternative.
    """
    groups = {}
    for row in rows:
        groups.setdefault((row[key], row["unit"]), []).append(row)
    return {(value, unit): _year_chart(group, unit) for (value, unit), group in groups.items()}


def _year_chart(group, unit):
    length = WIDTH - YEAR_LABELS - VALUE_ROOM
    top_value = max(max(r["planned"], r["delivered"]) for r in group)
    place, ticks = _axis(top_value, unit, YEAR_LABELS, length)
    axis_y = PLOT_TOP + len(group) * ROW
    bars = []
    for index, row in enumerate(group):
        top = PLOT_TOP + index * ROW + (ROW - 2 * BAR - BAR_GAP) / 2
        planned = _hbar(place, row["planned"], top, unit)
        delivered = _hbar(
            place, row["delivered"], top + BAR + BAR_GAP, unit, clear_of=planned["end"]
        )
        bars.append(
            {
                "row": row,
                "year_y": _svg(top + BAR - 1),
                "rate_y": _svg(top + 2 * BAR + BAR_GAP - 1),
                "rate": format_rate(row["rate"]),
                "planned": planned,
                "delivered": delivered,
                "over": row["delivered"] > row["planned"],
                # The target: the planned amount, drawn across both bars.
                "target": {
                    "x": planned["end"],
                    "y1": _svg(top - 2),
                    "y2": _svg(top + 2 * BAR + BAR_GAP + 2),
                },
                "title": f"{row['year']} : {format_amount(row['planned'], unit, 'prévu')}, "
                f"{format_amount(row['delivered'], unit, 'réalisé')} "
                f"({format_rate(row['rate'])})",
            }
        )
    return {
        "unit": Unit(unit),
        "width": WIDTH,
        "height": axis_y + AXIS_ROOM,
        "ticks": ticks,
        "grid_top": PLOT_TOP,
        "axis_y": axis_y,
        "tick_label_y": axis_y + 16,
        "label_x": YEAR_LABELS - 6,
        "bars": bars,
        "rows": group,
    }


def _hbar(place, value, top, unit, clear_of=None):
    """A bar from the axis' 0 to `value`, `BAR` high, and its value written after it,
    or after `clear_of` (the target line) when the line would cross the text."""
    start, end = place(0), place(value)
    label = format_short(value, unit)
    if clear_of is not None and end < float(clear_of) < end + 4 + len(label) * CHAR_WIDTH:
        label_x = float(clear_of) + 4
    else:
        label_x = end + 4
    return {
        "x": _svg(start),
        "y": _svg(top),
        "width": _svg(end - start),
        "height": _svg(BAR),
        "end": _svg(end),
        "label": label,
        "label_x": _svg(label_x),
        "label_y": _svg(top + BAR - 2),
    }


def cumulative_line(months, unit):
    """The cumulative delivered amount, month by month, on a value axis; the last value
    labelled at the line's end."""
    if not months:
        return None
    baseline = LINE_HEIGHT - LINE_BOTTOM
    height = baseline - LINE_TOP
    top_value = months[-1]["cumulative"]
    place, ticks = _axis(top_value, unit, 0, height)
    for tick in ticks:  # upwards from the baseline
        tick["at"] = _svg(baseline - float(tick["at"]))
    # Along time, not along the list: a month without validated delivery is not in
    # `months` but still takes its room.
    first = _month_number(months[0]["month"])
    span = max(_month_number(months[-1]["month"]) - first, 1)

    def along(month):
        return LINE_LEFT + (_month_number(month) - first) / span * (WIDTH - LINE_LEFT - LINE_RIGHT)

    points = [(along(month["month"]), baseline - place(month["cumulative"])) for month in months]
    last_x, last_y = points[-1]
    return {
        "unit": Unit(unit),
        "width": WIDTH,
        "height": LINE_HEIGHT,
        "left": LINE_LEFT,
        "right": WIDTH - LINE_RIGHT,
        "baseline": baseline,
        "ticks": ticks,
        "tick_label_x": LINE_LEFT - 6,
        "points": " ".join(f"{_svg(x)},{_svg(y)}" for x, y in points),
        "end": {
            "x": _svg(last_x),
            "y": _svg(last_y),
            "label_y": _svg(last_y - 8),
            # One month: the point is at the left, its label runs rightwards.
            "anchor": "start" if len(months) == 1 else "end",
        },
        "total_label": format_amount(top_value, unit),
        "first": months[0]["month"],
        "last": months[-1]["month"],
        "single": len(months) == 1,
        "januaries": _januaries(months, along),
        "label_y": baseline + 18,
        "months": months,
        "total": top_value,
    }


def _month_number(day):
    return day.year * 12 + day.month - 1


def _januaries(months, along):
    """Each January between the first and last months, where its label (`01/2021`, about
    46 units wide, centred) fits between the others: the years along the time axis. The
    first and last labels run from the ends, inwards, so a January keeps further away."""
    room, edge_room = 9 * CHAR_WIDTH, 73
    first, last = months[0]["month"], months[-1]["month"]
    first_x, last_x = along(first), along(last)
    januaries, previous = [], first_x
    for year in range(first.year + 1, last.year + 1):
        january = datetime.date(year, 1, 1)
        x = along(january)
        if x - previous >= (room if januaries else edge_room) and last_x - x >= edge_room:
            januaries.append({"x": _svg(x), "month": january})
            previous = x
    return januaries


# A progress bar (totals tables): 0 to 100 % fills the track, the target is a tick at
# 100 % and a rate above it runs on past the tick, up to METER_MAX.
METER_TARGET = 100
METER_MAX = 125


def meter(rate):
    """A delivery rate as a progress bar's geometry (a 0 to METER_MAX wide viewBox):
    `filled` up to the target, `over` past it (over-delivery), and the rate written."""
    percent = min(max(float(rate) * 100, 0), METER_MAX)
    return {
        "width": METER_MAX,
        "target": METER_TARGET,
        "filled": _svg(min(percent, METER_TARGET)),
        "over": _svg(percent - METER_TARGET) if percent > METER_TARGET else None,
        "exceeded": rate > 1,
        "label": format_rate(rate),
    }
