"""Geometry of the server-drawn SVG charts; templates only place what is computed here."""

from decimal import Decimal

from strategy.units import Unit, format_amount

WIDTH, HEIGHT = 640, 240
TOP, BOTTOM, LEFT = 24, 32, 8


def _scale(value, top_value):
    if not top_value:
        return 0
    return float(Decimal(value) / Decimal(top_value)) * (HEIGHT - TOP - BOTTOM)


def year_bars(rows, *, key):
    """Planned versus delivered bars per year, one chart per (key, unit).

    rows: totals(key, "year") rows. Returns {(key value, unit): chart} where chart has
    `unit`, `width`, `height`, `bars` (year, planned and delivered with their rectangles)
    and `rows` for the table alternative.
    """
    groups = {}
    for row in rows:
        groups.setdefault((row[key], row["unit"]), []).append(row)
    charts = {}
    for (value, unit), group in groups.items():
        top_value = max(max(r["planned"], r["delivered"]) for r in group)
        slot = (WIDTH - LEFT) / max(len(group), 1)
        bar = min(slot * 0.35, 60)
        bars = []
        for index, row in enumerate(group):
            x = LEFT + index * slot + (slot - 2 * bar) / 2
            planned_h, delivered_h = (
                _scale(row["planned"], top_value),
                _scale(row["delivered"], top_value),
            )
            bars.append(
                {
                    "row": row,
                    "label_x": _svg(x + bar),
                    "planned": _rect(x, planned_h, bar),
                    "delivered": _rect(x + bar, delivered_h, bar),
                    "title": f"{row['year']} : {format_amount(row['planned'], unit, 'prévu')}, "
                    f"{format_amount(row['delivered'], unit, 'réalisé')}",
                }
            )
        charts[value, unit] = {
            "unit": Unit(unit),
            "width": WIDTH,
            "height": HEIGHT,
            "baseline": HEIGHT - BOTTOM,
            "label_y": HEIGHT - BOTTOM + 18,
            "bars": bars,
            "rows": group,
        }
    return charts


def _svg(number):
    """SVG wants a dot decimal; a string escapes the templates' French localisation."""
    return f"{number:.1f}"


def _rect(x, height, width):
    return {
        "x": _svg(x),
        "y": _svg(HEIGHT - BOTTOM - height),
        "width": _svg(width),
        "height": _svg(height),
    }


def cumulative_line(months, unit):
    """A step line of the cumulative delivered amount, month by month."""
    if not months:
        return None
    top_value = months[-1]["cumulative"] or 1
    slot = (WIDTH - 2 * LEFT) / max(len(months) - 1, 1)
    points = []
    for index, month in enumerate(months):
        x = LEFT + index * slot
        y = HEIGHT - BOTTOM - _scale(month["cumulative"], top_value)
        points.append(f"{_svg(x)},{_svg(y)}")
    return {
        "unit": Unit(unit),
        "width": WIDTH,
        "height": HEIGHT,
        "baseline": HEIGHT - BOTTOM,
        "points": " ".join(points),
        "first": months[0]["month"],
        "last": months[-1]["month"],
        "label_y": HEIGHT - BOTTOM + 18,
        "right": WIDTH - LEFT,
        "months": months,
        "total": months[-1]["cumulative"],
    }
