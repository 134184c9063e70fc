#!/usr/bin/env python3
"""Write tests/data/topology/*.json, the GEOS answers that src/geom/topology.rs is tested against.

shapely is a tool of this script only, never a dependency of nrqc:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install shapely
    /tmp/venv/bin/python scripts/topology_reference.py

Each file holds a small coverage, written as WKT, and what GEOS says about it:

- a grid of jittered parcels whose neighbours share their edges vertex for vertex, with
  defects injected on purpose: overlapping pairs (one crossing, one intrusion without crossing
  edges, one containment, one exact duplicate), gaps (a missing parcel, a notch, a sliver),
  overhangs across the unit's boundary, a notch at the boundary (a gap only with `within`),
  and a parcel touching others at a corner only;
- `overlaps`: pairs a < b from an STRtree query whose relation matches `2********`, with the
  intersection's area;
- `gaps`: the holes of the union; `gaps_within`: the unit minus the union's covered part, plus
  the holes; `overhangs`: each parcel's area outside the unit;
- `between`: overlaps of the parcels with a second layer (red-line zones).

Everything is deterministic (a seeded random.Random, whose sequence Python keeps stable), so
running the script again rewrites the same files.

`--bench N PATH` instead writes a clean coverage of about N parcels with ~100 injected
overlaps as WKT lines to PATH, prints how long shapely takes to find its overlaps and writes
them to PATH.overlaps.json.
"""

import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import Polygon
from shapely.ops import unary_union

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "topology"


def grid(nx, ny, size, seed, x0=500000.0, y0=3800000.0):
    """Parcels of a jittered grid; each shares its edges (with a jittered midpoint on the
    horizontal ones) exactly with its neighbours. Returns rings keyed by cell (i, j)."""
    rnd = random.Random(seed)
    jit = size * 0.2

    def j():
        return round(rnd.uniform(-jit, jit), 3)

    corner = {}
    for i in range(nx + 1):
        for k in range(ny + 1):
            dx = 0.0 if i in (0, nx) else j()
            dy = 0.0 if k in (0, ny) else j()
            corner[i, k] = (x0 + i * size + dx, y0 + k * size + dy)
    mid = {}
    for i in range(nx):
        for k in range(ny + 1):
            a, b = corner[i, k], corner[i + 1, k]
            dy = 0.0 if k in (0, ny) else j() / 2
            mid[i, k] = ((a[0] + b[0]) / 2, round((a[1] + b[1]) / 2 + dy, 3))
    cells = {}
    for i in range(nx):
        for k in range(ny):
            cells[i, k] = [
                corner[i, k],
                mid[i, k],
                corner[i + 1, k],
                corner[i + 1, k + 1],
                mid[i, k + 1],
                corner[i, k + 1],
            ]
    bottom = [p for i in range(nx) for p in (corner[i, 0], mid[i, 0])]
    right = [corner[nx, k] for k in range(ny)]
    top = [p for i in reversed(range(nx)) for p in (corner[i + 1, ny], mid[i, ny])]
    left = [corner[0, k] for k in reversed(range(1, ny + 1))]
    outline = bottom + right + top + left
    return cells, outline


def test_coverage():
    nx, ny, size = 12, 12, 100.0
    cells, outline = grid(nx, ny, size, seed=20261128)
    unit = Polygon(outline)
    ring = {key: list(pts) for key, pts in cells.items()}

    # Intrusion without crossing edges: a vertex added to (2,2)'s right edge, inside (3,2).
    m = lerp(ring[2, 2][2], ring[2, 2][3], 0.5)
    ring[2, 2].insert(3, (m[0] + 6.0, m[1]))
    # Gap: a notch, the bottom midpoint of (5,5) pulled up into the parcel.
    m = ring[5, 5][1]
    ring[5, 5][1] = (m[0], m[1] + 5.0)
    # Sliver gap: the right-hand corners of (2,5) moved 0.05 to the left.
    ring[2, 5][2] = (ring[2, 5][2][0] - 0.05, ring[2, 5][2][1])
    ring[2, 5][3] = (ring[2, 5][3][0] - 0.05, ring[2, 5][3][1])
    # Overhangs: outer midpoints of (4,0) and (7,3) pushed out of the unit.
    m = ring[4, 0][1]
    ring[4, 0][1] = (m[0], m[1] - 7.0)
    east = ring[nx - 1, 3]
    m = lerp(east[2], east[3], 0.5)
    east.insert(3, (m[0] + 4.0, m[1]))
    # A notch at the unit's boundary: a gap only within the unit.
    m = ring[1, ny - 1][4]
    ring[1, ny - 1][4] = (m[0], m[1] - 6.0)

    polys = [Polygon(ring[key]) for key in sorted(ring) if key != (5, 2)]  # (5,2) missing
    hole = cells[5, 2]
    extra = [
        # Containment: a small square inside (6,6).
        Polygon(square(*centre(cells[6, 6]), 10.0)),
        # Exact duplicate of (1,1).
        Polygon(ring[1, 1]),
        # Crossing: a square straddling the edge between (3,4) and (4,4).
        Polygon(square(*lerp(cells[3, 4][2], cells[3, 4][3], 0.5), 8.0)),
        # Touching at a corner only: a triangle in the missing parcel's hole from its
        # lower-left corner.
        Polygon([hole[0], lerp(hole[1], centre(hole), 0.5), lerp(hole[0], centre(hole), 0.5)]),
    ]
    assert Polygon(hole).contains(extra[-1]) and extra[-1].touches(Polygon(hole).exterior)
    polys += extra
    for p in polys:
        assert p.is_valid, p.wkt
    return polys, unit


def centre(pts):
    return (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))


def lerp(a, b, t):
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def square(cx, cy, side):
    h = side / 2
    return [(cx - h, cy - h), (cx + h, cy - h), (cx + h, cy + h), (cx - h, cy + h)]


def geos_overlaps(a, b=None):
    """Pairs whose interiors intersect, GEOS's way, vectorised as shapely is meant to be used."""
    same = b is None
    a = np.asarray(a, dtype=object)
    b = a if same else np.asarray(b, dtype=object)
    ia, ib = STRtree(b).query(a)
    if same:
        keep = ia < ib
        ia, ib = ia[keep], ib[keep]
    order = np.lexsort((ib, ia))
    ia, ib = ia[order], ib[order]
    hit = shapely.relate_pattern(a[ia], b[ib], "2********")
    ia, ib = ia[hit], ib[hit]
    areas = shapely.area(shapely.intersection(a[ia], b[ib]))
    return [{"a": int(i), "b": int(k), "area": float(x)} for i, k, x in zip(ia, ib, areas)]


def regions(geom):
    if geom.is_empty:
        return []
    parts = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
    return [g for g in parts if g.geom_type == "Polygon" and g.area > 0]


def describe(polys):
    return sorted(
        (
            {
                "area": g.area,
                "point": list(g.representative_point().coords[0]),
                "wkt": g.wkt,
            }
            for g in polys
        ),
        key=lambda g: g["area"],
    )


def write_test_files():
    polys, unit = test_coverage()
    union = unary_union(polys)
    holes = [Polygon(r) for g in regions(union) for r in g.interiors]
    # A hole may hold an island of the union; the gap is the hole without it.
    gaps = [g for h in holes for g in regions(h.difference(union))]
    filled = unary_union([Polygon(g.exterior) for g in regions(union)] + [unit])
    gaps_within = regions(filled.difference(union))
    overhangs = [
        {"part": i, "area": p.difference(unit).area}
        for i, p in enumerate(polys)
        if p.difference(unit).area > 0
    ]
    tiling_gaps = regions(unit.difference(union))
    zones = [
        Polygon(square(*centre(list(polys[9].exterior.coords)[:-1]), 150.0)),
        Polygon(square(500650.0, 3800420.0, 90.0)),
        Polygon(square(499000.0, 3799000.0, 50.0)),  # far from everything
        # Many edges: a 100-gon over several parcels, and the unit's surroundings (the unit
        # as the hole of a frame), which share the unit's boundary edges with the parcels.
        Polygon([(500700.0 + 140.0 * math.cos(t), 3800700.0 + 140.0 * math.sin(t))
                 for t in (2 * math.pi * k / 100 for k in range(100))]),
        Polygon(square(*unit.centroid.coords[0], 2000.0), [unit.exterior.coords]),
    ]
    for z in zones:
        assert z.is_valid, z.wkt
    data = {
        "generator": "scripts/topology_reference.py",
        "geos": ".".join(map(str, shapely.geos_version)),
        "polygons": [p.wkt for p in polys],
        "unit": unit.wkt,
        "zones": [z.wkt for z in zones],
        "overlaps": geos_overlaps(polys),
        "between": geos_overlaps(zones, polys),
        "gaps": describe(gaps),
        "gaps_within": describe(gaps_within),
        "tiling_gaps": describe(tiling_gaps),
        "overhangs": overhangs,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "coverage.json").write_text(json.dumps(data, indent=1) + "\n")
    print(
        f"coverage.json: {len(polys)} parcels, {len(data['overlaps'])} overlaps, "
        f"{len(gaps)} gaps, {len(gaps_within)} within the unit, "
        f"{len(overhangs)} overhangs, {len(data['between'])} zone overlaps"
    )


def bench_coverage(n, path):
    """A clean coverage of about n parcels plus 100 injected overlapping squares, as WKT lines."""
    side = int(n**0.5)
    cells, _ = grid(side, side, 50.0, seed=7)
    rnd = random.Random(11)
    polys = [Polygon(cells[k]) for k in sorted(cells)]
    for _ in range(100):
        i = rnd.randrange(len(polys))
        x, y = centre(list(polys[i].exterior.coords)[:-1])
        polys.append(Polygon(square(x + rnd.uniform(-30, 30), y + rnd.uniform(-30, 30), 20.0)))
    Path(path).write_text("".join(p.wkt + "\n" for p in polys))
    return polys


def bench(n, path):
    polys = bench_coverage(n, path)
    start = time.perf_counter()
    found = geos_overlaps(polys)
    took = time.perf_counter() - start
    Path(path + ".overlaps.json").write_text(json.dumps(found))
    print(f"shapely {shapely.__version__} / GEOS {shapely.geos_version}: {len(polys)} polygons, "
          f"{len(found)} overlapping pairs, {took:.2f} s")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--bench":
        bench(int(sys.argv[2]), sys.argv[3])
    else:
        write_test_files()
