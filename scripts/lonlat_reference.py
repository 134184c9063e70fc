#!/usr/bin/env python3
"""Write tests/data/lonlat_reference.json: the features that tests/units.rs injects into a
lon/lat (EPSG:4490) copy of the clean 永靖县 package, and the areas and widths of their defects
on the CGCS2000 ellipsoid as shapely (GEOS) and pyproj (PROJ's geodesic, Karney) compute them,
never as nrqc does.

    python3 scripts/lonlat_reference.py

Every defect is a few km² (or, for the sliver, half a metre wide) and lies north of the county,
apart from every fixture feature. In square degrees each overlap, gap and overhang is 0.0002 to
0.0008 deg², below the 0.005 deg² that a 0.01 m² threshold halved used to become when it was
compared in CRS units, so they were all dropped; the sliver's width in degrees (6e-6) used to
print as "宽 0.00 m".

Method: the defect geometry is the shapely overlay of the WKT as written (straight edges in
lon/lat, as GIS software and nrqc read a 4490 layer), segmentized to 1e-5° (about 1 m) so that
geodesic edges and lon/lat-straight edges agree, then measured with pyproj.Geod on the CGCS2000
ellipsoid (a = 6378137 m, 1/f = 298.257222101): `geometry_area_perimeter` gives the area and the
perimeter, the width is 2 × area / perimeter as `no_gaps` defines it.
"""

import json
import pathlib

import shapely
from pyproj import Geod
from shapely import wkt

GEOD = Geod(a=6378137.0, f=1 / 298.257222101)
DENSIFY = 1e-5
OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "lonlat_reference.json"


def box(w, s, e, n):
    return f"POLYGON(({w} {s},{e} {s},{e} {n},{w} {n},{w} {s}))"


def measure(geom):
    dense = shapely.segmentize(geom, DENSIFY)
    area, perimeter = GEOD.geometry_area_perimeter(dense)
    return abs(area), perimeter


def area(geom):
    return measure(geom)[0]


def main():
    cases = {}

    # ZR-T101: two forest units (DJDYLX 40), the second drawn 0.02° × 0.02° over the first's
    # north-east corner; the first has a slanted edge so the overlap is not a rectangle.
    a = "POLYGON((103.00 36.40,103.06 36.40,103.06 36.44,103.01 36.445,103.00 36.44,103.00 36.40))"
    b = box(103.04, 36.42, 103.10, 36.46)
    cases["no_overlap"] = {
        "units": [{"key": "6229234000901", "wkt": a}, {"key": "6229234000902", "wkt": b}],
        "overlap_m2": area(wkt.loads(a).intersection(wkt.loads(b))),
    }

    # ZR-T102: a forest unit over a nature reserve (DJDYLX 13), by 0.02° × 0.03°.
    forest = box(103.20, 36.40, 103.26, 36.44)
    reserve = box(103.24, 36.41, 103.30, 36.47)
    cases["no_overlap_with"] = {
        "forest": {"key": "6229234000903", "wkt": forest},
        "reserve": {"key": "6229231300901", "wkt": reserve},
        "overlap_m2": area(wkt.loads(forest).intersection(wkt.loads(reserve))),
    }

    # ZR-R001: a unit overlapping a new red-line zone by 0.01° × 0.04° with no GGGZ row.
    unit = box(103.40, 36.40, 103.46, 36.44)
    zone = "POLYGON((103.45 36.39,103.50 36.39,103.50 36.45,103.45 36.45,103.45 36.39))"
    cases["overlap_link"] = {
        "unit": {"key": "6229234000904", "wkt": unit},
        "zone": {"key": "62292310901", "wkt": zone},
        "overlap_m2": area(wkt.loads(unit).intersection(wkt.loads(zone))),
    }

    # ZR-T103 and ZR-T105: a unit and three parcels. P1 reaches 0.005° west of the unit (an
    # overhang), a 0.02° strip between P1 and P2 is uncovered (a gap), P3 lies inside P2 (an
    # overlap, by containment).
    whole = box(103.60, 36.40, 103.70, 36.44)
    p1 = box(103.595, 36.40, 103.65, 36.44)
    p2 = box(103.67, 36.40, 103.70, 36.44)
    p3 = box(103.68, 36.40, 103.70, 36.42)
    w, ps = wkt.loads(whole), [wkt.loads(p) for p in (p1, p2, p3)]
    cases["tiles"] = {
        "unit": {"key": "6229234000905", "wkt": whole},
        "parcels": [
            {"key": f"622923202100900{i + 1}", "wkt": p} for i, p in enumerate((p1, p2, p3))
        ],
        "gap_m2": area(w.difference(shapely.union_all(ps))),
        "overhang_m2": area(ps[0].difference(w)),
        "overlap_m2": area(ps[1].intersection(ps[2])),
    }

    # no_gaps with max_width 1 m: four parcels around a sliver 6e-6° (about 0.54 m) wide and
    # 0.04° long, and, further east, a strip 4e-4° (about 36 m) wide that is an intended hole.
    d = 6e-6
    parcels = [
        box(103.80, 36.40, 103.85, 36.44),
        box(103.85 + d, 36.40, 103.90, 36.44),
        box(103.80, 36.38, 103.90, 36.40),
        box(103.80, 36.44, 103.90, 36.46),
        box(103.90, 36.38, 103.95, 36.46),
        box(103.9504, 36.38, 104.00, 36.46),
        box(103.90, 36.46, 104.00, 36.47),
        box(103.90, 36.37, 104.00, 36.38),
    ]
    union = shapely.union_all([wkt.loads(p) for p in parcels])
    holes = sorted(
        (shapely.Polygon(r) for g in getattr(union, "geoms", [union]) for r in g.interiors),
        key=lambda h: h.bounds,
    )
    gaps = []
    for h in holes:
        a_m2, p_m = measure(h)
        gaps.append({"area_m2": a_m2, "width_m": 2 * a_m2 / p_m, "wkt": h.wkt})
    cases["no_gaps"] = {
        "unit": "6229234000906",
        "parcels": [{"key": f"62292320210091{i:02}", "wkt": p} for i, p in enumerate(parcels)],
        "gaps": gaps,
    }

    # ZR-T107: a 12 m × 12 m parcel (in degrees) below the 200 m² minimum.
    tiny = box(104.10, 36.40, 104.10 + 12 / 89_740, 36.40 + 12 / 110_960)
    cases["min_area"] = {
        "parcel": {"key": "6229232021009201", "wkt": tiny},
        "area_m2": area(wkt.loads(tiny)),
    }

    OUT.write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {OUT}")
    print(json.dumps({k: {n: v for n, v in c.items() if n.endswith(("m2", "gaps"))} for k, c in cases.items()}, indent=1, ensure_ascii=False)[:3000])


if __name__ == "__main__":
    main()
