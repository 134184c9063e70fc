#!/usr/bin/env python3
"""Write tests/data/real/*.json, the GEOS answers that tests/real_data.rs compares nrqc with on
third-party boundary files (../shared/data/real/, see its README; the files are read in place,
never copied into the repository).

    python3 scripts/real_reference.py [DATA_DIR]    # default: ../shared/data/real

Needs shapely 2 (GEOS), pyproj and GDAL's ogr2ogr (Debian gdal-bin). None is a dependency of
nrqc.

Reading. The point is to compare algorithms, so GEOS gets the geometries nrqc reads:
- Shapefiles are read by GDAL (`ogr2ogr -f GeoJSON`, 17 significant digits so every double
  survives the text), whose ring assignment nrqc's reader follows: clockwise rings are outer
  rings; with exactly one of them, every other ring is its hole whether it lies inside it or not
  (GDAL's fast path; GEOS then says "Hole lies outside shell"); with several, a counter-clockwise
  ring is a hole of the smallest outer ring containing it, or a polygon of its own; with none,
  every ring is a polygon. Attributes are decoded as GBK (`ENCODING=CP936`): the DBFs are GBK
  without a .cpg, which nrqc also decides from their bytes.
- GeoJSON is read with Python's json module, coordinates as written (no GDAL, which would not
  change them either).
Feature index = record order = nrqc's FID.

What is computed, per dataset:
- `invalid`: every feature GEOS finds invalid, with `is_valid_reason`, its code (the reason's
  words before the location, e.g. "Self-intersection") and its location; GEOS names the first
  defect only, so for "Hole lies outside shell" the holes not covered by their shell are
  counted too (`holes_outside_shell`), and for a MultiPolygon's "Self-intersection" the pairs
  of parts whose boundaries share a segment (`part_pairs_sharing_segments`).
- `overlaps`: over the valid features only (nrqc's topology checks skip invalid features and say
  so), the feature pairs a < b from an STRtree query whose relation matches `2********`
  (interiors intersect: containment and duplicates count), with the intersection's area.
- `gaps`: over the valid features, the holes of their union, less any part of the union inside
  a hole (an island of features in a lake of no feature), each a polygon with its area and a
  representative point.
- `gaps_without`: the same with a few inland features left out (their keys are listed), so that
  gaps are compared on real shapes: the holes they leave, bounded by their neighbours' edges,
  whose vertices need not match theirs.
Areas are m² on the CGCS2000 ellipsoid (a = 6378137, 1/f = 298.257222101, as GRS80), each
twice, since at 1:4,000,000 edges are kilometres long and what an edge is between its vertices
changes the area by up to 1e-4 relative:
- `area_m2`: edges straight in lon/lat, as GIS draws them: Karney's geodesic polygon area
  (pyproj.Geod) of the geometry densified to 0.001° (densifying to 0.0001° changes it by less
  than 1e-7 relative on these files);
- `area_cea_m2`: edges straight in the cylindrical equal-area projection of the ellipsoid (PROJ
  `+proj=cea +ellps=GRS80`, planar area there), the edge model of the official trapezoid formula
  nrqc computes (domain.md: each edge's trapezoid is its mean longitude times the ellipsoidal
  zone area between its latitudes, exact for an edge linear in longitude and zone area).

The JSON records the GEOS, shapely, pyproj and GDAL versions; how long each step took is
printed, not recorded, so that running the script again rewrites the same files.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyproj
import shapely
from shapely import STRtree
from shapely.geometry import Polygon, shape
from shapely.ops import unary_union

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "real"

# name: (file under the data directory, key field, keys left out for `gaps_without`)
DATASETS = {
    # 永靖县, 武昌区, 乌鲁木齐市, 林周县: inland, each one record.
    "bount_poly": ("nfgis-4m/BOUNT_poly.shp", "ADCODE99", ["622923", "420106", "650100", "540121"]),
    # 湖北省 and 北京市, each one record and surrounded by other provinces.
    "bou2_4p": ("nfgis-4m/bou2_4p.shp", "ADCODE99", [420000, 110000]),
    "gansu_620000": ("datav-geojson/620000_full.json", "adcode", None),
}

GEOD = pyproj.Geod(a=6378137.0, rf=298.257222101)
DENSIFY_DEG = 0.001


def read(path):
    """Features as (properties, shapely geometry or None), in record order."""
    if path.suffix == ".shp":
        text = subprocess.run(
            ["ogr2ogr", "-f", "GeoJSON", "-lco", "SIGNIFICANT_FIGURES=17",
             "-oo", "ENCODING=CP936", "/vsistdout/", str(path)],
            capture_output=True, check=True,
        ).stdout
    else:
        text = path.read_bytes()
    features = json.loads(text)["features"]
    return [(f["properties"], shape(f["geometry"]) if f["geometry"] else None)
            for f in features]


CEA = pyproj.Transformer.from_crs("EPSG:4490", "+proj=cea +ellps=GRS80", always_xy=True)


def area_m2(geom):
    dense = shapely.segmentize(geom, DENSIFY_DEG)
    area, _ = GEOD.geometry_area_perimeter(dense)
    return abs(area)


def area_cea_m2(geom):
    def project(xy):
        x, y = CEA.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.area(shapely.transform(geom, project))


def areas(geom):
    return {"area_m2": area_m2(geom), "area_cea_m2": float(area_cea_m2(geom)),
            "planar_area_deg2": float(geom.area)}


def invalid_features(geoms, keys):
    found = []
    for i, g in enumerate(geoms):
        if g is not None and g.is_valid:
            continue
        reason = "no geometry" if g is None else shapely.is_valid_reason(g)
        code, _, at = reason.partition("[")
        point = [float(v) for v in at.rstrip("]").split()] if at else None
        entry = {"index": i, "key": keys[i], "reason": reason, "code": code.strip(), "at": point}
        if entry["code"] == "Hole lies outside shell":
            # GEOS names the first such hole; count them all (a hole not within its shell).
            entry["holes_outside_shell"] = sum(
                not Polygon(p.exterior).covers(Polygon(h))
                for p in regions_of(g) for h in p.interiors
            )
        if entry["code"] == "Self-intersection" and g.geom_type == "MultiPolygon":
            # Parts sharing a boundary segment: GEOS names the first place, count the pairs.
            parts = list(g.geoms)
            entry["part_pairs_sharing_segments"] = sum(
                parts[a].boundary.intersection(parts[b].boundary).length > 0
                for a in range(len(parts)) for b in range(a + 1, len(parts))
            )
        found.append(entry)
    return found


def overlaps(geoms, valid):
    """Pairs of valid features whose interiors intersect, GEOS's way (vectorised)."""
    idx = np.array(valid, dtype=np.int64)
    arr = np.asarray([geoms[i] for i in valid], dtype=object)
    ia, ib = STRtree(arr).query(arr)
    keep = ia < ib
    ia, ib = ia[keep], ib[keep]
    order = np.lexsort((ib, ia))
    ia, ib = ia[order], ib[order]
    hit = shapely.relate_pattern(arr[ia], arr[ib], "2********")
    ia, ib = ia[hit], ib[hit]
    inter = shapely.intersection(arr[ia], arr[ib])
    return [
        {"a": int(idx[a]), "b": int(idx[b]), **areas(g)}
        for a, b, g in zip(ia, ib, inter)
    ]


def regions_of(geom):
    return list(geom.geoms) if hasattr(geom, "geoms") else [geom]


def regions(geom):
    if geom.is_empty:
        return []
    return [g for g in regions_of(geom) if g.geom_type == "Polygon" and g.area > 0]


def gaps(geoms, valid):
    union = unary_union([geoms[i] for i in valid])
    holes = [Polygon(r) for g in regions(union) for r in g.interiors]
    found = [g for h in holes for g in regions(h.difference(union))]
    return sorted(
        ({**areas(g), "point": list(g.representative_point().coords[0]), "wkt": g.wkt}
         for g in found),
        key=lambda g: g["area_m2"],
    )


def gdal_version():
    out = subprocess.run(["ogr2ogr", "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def reference(data_dir, name):
    rel, key, without = DATASETS[name]
    timings = {}
    start = time.perf_counter()
    features = read(data_dir / rel)
    timings["read"] = time.perf_counter() - start
    geoms = [g for _, g in features]
    keys = [p.get(key) for p, _ in features]

    start = time.perf_counter()
    invalid = invalid_features(geoms, keys)
    timings["is_valid"] = time.perf_counter() - start
    bad = {f["index"] for f in invalid}
    valid = [i for i in range(len(geoms)) if i not in bad]

    start = time.perf_counter()
    pairs = overlaps(geoms, valid)
    timings["overlaps"] = time.perf_counter() - start
    for p in pairs:
        p["keys"] = [keys[p["a"]], keys[p["b"]]]

    start = time.perf_counter()
    holes = gaps(geoms, valid)
    timings["gaps"] = time.perf_counter() - start
    if without is not None:
        kept = [i for i in valid if keys[i] not in without]
        assert len(valid) - len(kept) == len(without), "each left-out key is one valid feature"
        holes_without = {"keys": without, "gaps": gaps(geoms, kept)}
    else:
        holes_without = None

    return {
        "generator": "scripts/real_reference.py",
        "file": rel,
        "key": key,
        "geos": ".".join(map(str, shapely.geos_version)),
        "shapely": shapely.__version__,
        "pyproj": pyproj.__version__,
        "gdal": gdal_version() if rel.endswith(".shp") else None,
        "ellipsoid": {"a": 6378137.0, "rf": 298.257222101},
        "densify_deg": DENSIFY_DEG,
        "features": len(geoms),
        "invalid": invalid,
        "overlaps": pairs,
        "gaps": holes,
        "gaps_without": holes_without,
    }, timings


def main():
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "real"
    OUT.mkdir(parents=True, exist_ok=True)
    for name in DATASETS:
        data, seconds = reference(data_dir, name)
        (OUT / f"{name}.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        total = sum(p["area_m2"] for p in data["overlaps"])
        gap_total = sum(g["area_m2"] for g in data["gaps"])
        print(f"{name}: {data['features']} features, {len(data['invalid'])} invalid, "
              f"{len(data['overlaps'])} overlapping pairs ({total:.2f} m²), "
              f"{len(data['gaps'])} gaps ({gap_total:.2f} m²); "
              + (f"without {data['gaps_without']['keys']}: {len(data['gaps_without']['gaps'])} gaps "
                 f"({sum(g['area_m2'] for g in data['gaps_without']['gaps']):.2f} m²); "
                 if data["gaps_without"] else "")
              + ", ".join(f"{k} {v:.3f} s" for k, v in seconds.items()))


if __name__ == "__main__":
    main()
