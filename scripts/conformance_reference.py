#!/usr/bin/env python3
"""Edge cases of the GDAL conformance suite (tests/conformance.rs) and GEOS's reading of them.

Writes tests/data/conformance/EDGE.geojson (null geometries, holes, multipolygons whose parts
touch at a vertex or along an edge, a part inside another part's hole, a hole touching its shell,
a self-crossing ring) and ONE.geojson (a single-feature layer with a hole), in EPSG:4522, and
reference.json: for each feature, what shapely (GEOS) reads from the source: null or not, the
rings of each polygon, the planar area, is_valid_reason, and where an invalid one is invalid.
The test converts the sources with ogr2ogr into every form and compares nrqc's reading and its
geometry_valid findings with this.

Run from the repository root: python3 scripts/conformance_reference.py (needs shapely 2).
"""
import json
import os

import shapely
from shapely.geometry import shape

OUT = "tests/data/conformance"
X, Y = 34600000.0, 3990000.0
CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4522"}}


def ring(pts):
    pts = [[X + x, Y + y] for x, y in pts]
    return pts + [pts[0]]


def square(x0, y0, x1, y1, cw=False):
    r = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    return ring(r[::-1] if cw else r)


def poly(*rings):
    return {"type": "Polygon", "coordinates": list(rings)}


def multi(*polys):
    return {"type": "MultiPolygon", "coordinates": [p["coordinates"] for p in polys]}


# Outer rings counter-clockwise, holes clockwise, as GeoJSON (RFC 7946) has them; GDAL keeps the
# order it reads unless a format prescribes another (Shapefile: outer rings clockwise).
LAYERS = {
    "EDGE": [
        ("HOLE1", "one hole", poly(square(0, 0, 100, 100), square(20, 20, 40, 40, cw=True))),
        ("HOLE2", "two holes", poly(square(200, 0, 300, 100), square(210, 10, 240, 40, cw=True),
                                    square(250, 50, 290, 90, cw=True))),
        ("NULL1", "null geometry", None),
        ("TOUCHV", "parts touching at a vertex",
         multi(poly(square(400, 0, 450, 50)), poly(square(450, 50, 500, 100)))),
        ("TOUCHE", "parts sharing an edge",
         multi(poly(square(600, 0, 650, 50)), poly(square(650, 0, 700, 50)))),
        ("ISLAND", "a part inside the other part's hole",
         multi(poly(square(800, 0, 900, 100), square(820, 20, 880, 80, cw=True)),
               poly(square(840, 40, 860, 60)))),
        ("HOLETOUCH", "a hole touching the shell at a point",
         poly(square(1000, 0, 1100, 100), ring([(1000, 50), (1050, 60), (1050, 40)]))),
        ("BOWTIE", "a ring crossing itself",
         poly(ring([(1200, 0), (1300, 0), (1220, 120), (1300, 100)]))),
        ("NULL2", "null geometry, last feature", None),
    ],
    "ONE": [
        ("ONE1", "the only feature",
         poly(square(0, 200, 100, 300), square(40, 240, 60, 260, cw=True))),
    ],
}


def segments(g):
    """A point or linear geometry as segments [x1, y1, x2, y2] (a point as a zero-length one)."""
    out = []
    for part in shapely.get_parts(g):
        coords = list(part.coords)
        if len(coords) == 1:
            coords = coords * 2
        out += [[*a, *b] for a, b in zip(coords, coords[1:])]
    return out


def locus(g, reason):
    """Where the geometry is invalid: for parts that touch along a line, all of the shared
    boundary (GEOS names one point of it, another implementation may name another); otherwise
    GEOS's point."""
    if g.geom_type == "MultiPolygon":
        parts = list(g.geoms)
        shared = [a.boundary.intersection(b.boundary)
                  for i, a in enumerate(parts) for b in parts[i + 1:]]
        shared = shapely.union_all([s for s in shared if not s.is_empty])
        if not shared.is_empty:
            return segments(shared)
    x, y = reason[reason.index("[") + 1:-1].split()
    return [[float(x), float(y), float(x), float(y)]]


def reading(geometry):
    if geometry is None:
        return {"null": True}
    g = shape(geometry)
    polys = list(g.geoms) if g.geom_type == "MultiPolygon" else [g]
    reason = shapely.is_valid_reason(g)
    out = {
        "null": False,
        "rings": [1 + len(p.interiors) for p in polys],
        "area": g.area,
        "valid_reason": reason,
    }
    if reason != "Valid Geometry":
        out["locus"] = locus(g, reason)
    return out


def main():
    reference = {"geos": shapely.geos_version_string, "shapely": shapely.__version__, "layers": {}}
    for name, features in LAYERS.items():
        collection = {
            "type": "FeatureCollection",
            "name": name,
            "crs": CRS,
            "features": [
                {"type": "Feature", "properties": {"BSM": bsm, "MC": mc}, "geometry": g}
                for bsm, mc, g in features
            ],
        }
        with open(os.path.join(OUT, f"{name}.geojson"), "w", encoding="utf-8") as f:
            json.dump(collection, f, ensure_ascii=False, indent=1)
            f.write("\n")
        reference["layers"][name] = [dict(BSM=bsm, **reading(g)) for bsm, _, g in features]
    with open(os.path.join(OUT, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(reference, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
