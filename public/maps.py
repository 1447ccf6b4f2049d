"""The map of the départements: their contours as SVG paths, drawn once, and their colour
class from the delivery rate. The figures are the per-territory tables of area_tables();
templates only place what is computed here.

Contours: IGN (Admin Express / GEOFLA), Licence Ouverte; see public/data/README.md.
"""

import json
import math
from functools import cache
from itertools import pairwise
from pathlib import Path

from strategy.models import Territory
from strategy.units import DELIVERED, Unit, format_rate, rate_percent

DATA = Path(__file__).parent / "data" / "hdf_departements.json"
WIDTH = 400  # the viewBox's width; its height follows the region's shape
MARGIN = 8
CREDIT = "Contours : IGN, Licence Ouverte"
# Nord's centroid falls on its border with Pas-de-Calais (the département is a crescent):
# its label moves into it, in viewBox units.
LABEL_NUDGE = {"59": (35, 10)}

# The colour classes, on the rate as the pages write it (a whole percentage), so that a
# département written « 75 % » is never coloured as below 75 %. Highest first:
# (lowest percentage of the class, its key, its legend).
CLASSES = [
    (100, "5", "100 % et plus"),
    (75, "4", "de 75 % à 99 %"),
    (50, "3", "de 50 % à 74 %"),
    (25, "2", "de 25 % à 49 %"),
    (None, "1", "moins de 25 %"),
]
NO_DATA = ("none", "aucun engagement chiffré")
NO_DATA_LABEL = "non chiffré"  # under the name, where a rate would be


def rate_class(rate):
    """(key, legend) of the class a delivery rate (a Decimal fraction, or None when
    nothing was planned) is coloured with."""
    if rate is None:
        return NO_DATA
    percent = rate_percent(rate)
    for lowest, key, legend in CLASSES:
        if lowest is None or percent >= lowest:
            return key, legend
    raise AssertionError("unreachable: the last class has no lower bound")


def legend():
    return [{"key": key, "label": label} for _lowest, key, label in CLASSES] + [
        {"key": NO_DATA[0], "label": NO_DATA[1]}
    ]


@cache
def shapes():
    """{INSEE code: {name, d, label_x, label_y}} and the viewBox, computed once per
    process: an equirectangular projection corrected by the cosine of the region's middle
    latitude, y downwards, scaled to WIDTH."""
    departements = json.loads(DATA.read_text(encoding="utf-8"))
    points = [point for d in departements.values() for ring in d["rings"] for point in ring]
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    stretch = math.cos(math.radians((south + north) / 2))
    scale = (WIDTH - 2 * MARGIN) / ((east - west) * stretch)
    height = round((north - south) * scale + 2 * MARGIN)

    def project(lon, lat):
        return (MARGIN + (lon - west) * stretch * scale, MARGIN + (north - lat) * scale)

    drawn = {}
    for code, departement in departements.items():
        rings = [[project(*point) for point in ring] for ring in departement["rings"]]
        d = " ".join("M" + " ".join(f"{x:.1f},{y:.1f}" for x, y in ring) + "Z" for ring in rings)
        label_x, label_y = _centroid(max(rings, key=_area))
        nudge_x, nudge_y = LABEL_NUDGE.get(code, (0, 0))
        label_x, label_y = label_x + nudge_x, label_y + nudge_y
        drawn[code] = {
            "name": departement["name"],
            "d": d,
            # Written here, not by the template, which would write a French "157,3".
            "label_x": f"{label_x:.1f}",
            "label_y": f"{label_y:.1f}",
        }
    return drawn, f"0 0 {WIDTH} {height}"


def _area(ring):
    return abs(_signed_area(ring))


def _signed_area(ring):
    closed = ring + ring[:1]
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairwise(closed)) / 2


def _centroid(ring):
    closed = ring + ring[:1]
    area = _signed_area(ring)
    cx = sum((x1 + x2) * (x1 * y2 - x2 * y1) for (x1, y1), (x2, y2) in pairwise(closed))
    cy = sum((y1 + y2) * (x1 * y2 - x2 * y1) for (x1, y1), (x2, y2) in pairwise(closed))
    return cx / (6 * area), cy / (6 * area)


def units(tables):
    """The units a map can be drawn in: those with figures, in the tables' order."""
    return [table["unit"] for table in tables]


def choose_unit(asked, tables):
    """(the unit drawn, the `unit` parameter as the page understood it).

    The default is euros when any are committed, else the unit of the most commitments:
    euros are what every kind of measure can be counted in, and a map of the unit most
    committed says the most. An unknown or absent value draws the default and is not a
    canonical parameter, so that the page cache never stores it.
    """
    available = units(tables)
    if asked in available:
        return asked, asked
    if not available:
        return None, None
    if Unit.EUROS in available:
        return Unit.EUROS.value, None
    counts = {table["unit"]: table["total"]["count"] for table in tables}
    return max(available, key=lambda unit: (counts[unit], -available.index(unit))), None


def departement_map(tables, unit, *, territories, link):
    """The map of the départements in `unit`, from area_tables() broken down under the
    region; None when the tables are not (a territory filter below the region).

    `territories` are those the page has loaded (the filters'); `link(territory)` is the
    address each département leads to. Returns `unit`, `areas`
    (each: `code`, `name`, `d`, label position, `row` of the table or None, `key` of its
    class, `rate_text`, `href`, `accessible_name`), `table` (the tables' rows for the unit,
    départements without figures included, the region's own level last), `total`,
    `view_box`, `legend`, `credit`.
    """
    if not tables or tables[0]["scope"] is None:
        return None
    if tables[0]["scope"].level != Territory.Level.REGION:
        return None
    table = next(t for t in tables if t["unit"] == unit)
    drawn, view_box = shapes()
    by_code = {row["territory"].code: row for row in table["rows"] if not row["own_level"]}
    territories = {
        t.code: t
        for t in territories
        if t.level == Territory.Level.DEPARTEMENT and t.parent_id == table["scope"].pk
    }
    areas = []
    for code, shape in drawn.items():
        row = by_code.get(code)
        rate = row["rate"] if row else None
        key, _legend = rate_class(rate)
        territory = row["territory"] if row else territories.get(code)
        areas.append(
            {
                **shape,
                "code": code,
                "row": row,
                "key": key,
                "rate_text": format_rate(rate) if rate is not None else NO_DATA_LABEL,
                "href": link(territory) if territory else None,
                "accessible_name": accessible_name(shape["name"], rate, unit),
            }
        )
    rows = [row for row in table["rows"] if not row["own_level"]]
    missing = [
        {"label": area["name"], "unit": unit, "planned": None, "delivered": None, "rate": None}
        for area in areas
        if area["row"] is None
    ]
    return {
        "unit": unit,
        "units": units(tables),
        "areas": areas,
        "rows": sorted(rows + missing, key=lambda r: r["label"]),
        "own_level": [row for row in table["rows"] if row["own_level"]],
        "total": table["total"],
        "scope": table["scope"],
        "view_box": view_box,
        "legend": legend(),
        "credit": CREDIT,
    }


def accessible_name(name, rate, unit):
    """« Nord : 57 % des places prévues réalisées », the words agreed with the unit."""
    unit = Unit(unit)
    if rate is None:
        return f"{name} : aucun engagement chiffré en {unit.label}"
    many = 2  # « des places prévues réalisées »: the plural
    return (
        f"{name} : {format_rate(rate)} des {unit.label} "
        f"{unit.agree('prévu', many)} {unit.agree(DELIVERED, many)}"
    )
