"""One-off: the five départements of Hauts-de-France, simplified, as the compact file the
map reads (hdf_departements.json). Stdlib only; run again only to change the tolerance:

    python public/data/simplify.py <the région's départements, IGN GeoJSON> \
        > public/data/hdf_departements.json

Source and licence: see README.md next to this file.
"""

import json
import sys
from itertools import pairwise

TOLERANCE = 0.004  # degrees, about 300 m: under a pixel at the size the map is drawn
SMALLEST = 0.0005  # square degrees: islets and enclaves smaller than this are left out
PLACES = 3  # decimals kept, about 100 m


def _distance(point, start, end):
    (x, y), (x1, y1), (x2, y2) = point, start, end
    dx, dy = x2 - x1, y2 - y1
    if dx == dy == 0:
        return ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / (dx * dx + dy * dy) ** 0.5


def douglas_peucker(points, tolerance):
    """The points that keep the line within `tolerance` of the original (iterative)."""
    keep = {0, len(points) - 1}
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, index = 0.0, None
        for i in range(first + 1, last):
            distance = _distance(points[i], points[first], points[last])
            if distance > farthest:
                farthest, index = distance, i
        if index is not None and farthest > tolerance:
            keep.add(index)
            stack += [(first, index), (index, last)]
    return [points[i] for i in sorted(keep)]


def area(ring):
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairwise(ring))) / 2


def main(path):
    with open(path, encoding="utf-8") as source:
        features = json.load(source)["features"]
    departements = {}
    for feature in sorted(features, key=lambda f: f["properties"]["code"]):
        geometry = feature["geometry"]
        polygons = geometry["coordinates"]
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        rings = []
        for polygon in polygons:
            for ring in polygon:
                if area(ring) < SMALLEST:
                    continue
                simple = douglas_peucker(ring, TOLERANCE)
                rings.append([[round(x, PLACES), round(y, PLACES)] for x, y in simple[:-1]])
        departements[feature["properties"]["code"]] = {
            "name": feature["properties"]["nom"],
            "rings": rings,
        }
    json.dump(departements, sys.stdout, separators=(",", ":"), ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
