#!/usr/bin/env python3
"""Write tests/data/gk_reference.csv, the Gauss-Kruger reference points for src/geom.

pyproj is a tool of this script only, never a dependency of nrqc:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install pyproj
    /tmp/venv/bin/python scripts/gk_reference.py

Before writing anything the script checks every CGCS2000 CRS that nrqc accepts
against the EPSG database shipped with pyproj, so the facts in src/geom/crs.rs
(central meridian, false easting, name) are checked, not remembered. It exits
non-zero on the first disagreement.

The points are deterministic (a Halton sequence, no random state), so running
the script again with the same PROJ database rewrites the same file.
"""

import csv
import sys
from pathlib import Path

import pyproj
from pyproj import CRS, Transformer

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "gk_reference.csv"

SEMI_MAJOR = 6378137.0
INV_FLATTENING = 298.257222101

# Points per CRS. Zones 34 and 35 cover Linxia, so they get most of them.
POINTS = {
    4522: 30,  # 3-degree zone 34, prefixed
    4523: 30,  # 3-degree zone 35, prefixed
    4543: 30,  # 3-degree CM 102E
    4544: 30,  # 3-degree CM 105E
    4513: 14,  # 3-degree zone 25, westmost
    4533: 14,  # 3-degree zone 45, eastmost
    4534: 14,  # 3-degree CM 75E
    4554: 14,  # 3-degree CM 135E
    4497: 14,  # 6-degree zone 19 (CM 111E), prefixed
    4508: 14,  # 6-degree CM 111E
}
LAT_MIN, LAT_MAX = 18.0, 53.0
BEYOND = 1.5  # degrees past each band edge


def expected(code):
    """(name, central meridian, false easting, band width) the formulas in crs.rs give."""
    if 4491 <= code <= 4501:
        zone = code - 4491 + 13
        return f"CGCS2000 / Gauss-Kruger zone {zone}", 6 * zone - 3, zone * 1e6 + 5e5, 6
    if 4502 <= code <= 4512:
        cm = 75 + 6 * (code - 4502)
        return f"CGCS2000 / Gauss-Kruger CM {cm}E", cm, 5e5, 6
    if 4513 <= code <= 4533:
        zone = code - 4513 + 25
        return f"CGCS2000 / 3-degree Gauss-Kruger zone {zone}", 3 * zone, zone * 1e6 + 5e5, 3
    if 4534 <= code <= 4554:
        cm = 75 + 3 * (code - 4534)
        return f"CGCS2000 / 3-degree Gauss-Kruger CM {cm}E", cm, 5e5, 3
    raise ValueError(code)


def check_epsg():
    geo = CRS.from_epsg(4490).to_json_dict()
    ell = geo["datum"]["ellipsoid"]
    assert geo["type"] == "GeographicCRS", geo["type"]
    assert (ell["semi_major_axis"], ell["inverse_flattening"]) == (SEMI_MAJOR, INV_FLATTENING), ell
    for code in range(4491, 4555):
        name, cm, fe, _ = expected(code)
        crs = CRS.from_epsg(code)
        d = crs.to_json_dict()
        conv = d["conversion"]
        params = {p["name"]: p["value"] for p in conv["parameters"]}
        ell = d["base_crs"]["datum"]["ellipsoid"]
        got = (
            crs.name,
            conv["method"]["name"],
            params["Latitude of natural origin"],
            params["Longitude of natural origin"],
            params["Scale factor at natural origin"],
            params["False easting"],
            params["False northing"],
            ell["semi_major_axis"],
            ell["inverse_flattening"],
            [a.direction for a in crs.axis_info],
        )
        want = (name, "Transverse Mercator", 0, cm, 1, fe, 0, SEMI_MAJOR, INV_FLATTENING, ["north", "east"])
        if got != want:
            sys.exit(f"EPSG:{code}: pyproj says {got}, crs.rs assumes {want}")


def halton(i, base):
    f, r = 1.0, 0.0
    while i > 0:
        f /= base
        r += f * (i % base)
        i //= base
    return r


def points(code, count):
    _, cm, _, width = expected(code)
    west, east = cm - width / 2 - BEYOND, cm + width / 2 + BEYOND
    # The corners of the widened band, where the series is worst, come first.
    pts = [(lon, lat) for lon in (west, east) for lat in (LAT_MIN, LAT_MAX)]
    i = 1
    while len(pts) < count:
        lon = round(west + (east - west) * halton(i, 2), 6)
        lat = round(LAT_MIN + (LAT_MAX - LAT_MIN) * halton(i, 3), 6)
        pts.append((lon, lat))
        i += 1
    return pts


def main():
    check_epsg()
    rows = []
    for code, count in POINTS.items():
        t = Transformer.from_crs(4490, code, always_xy=True)
        for lon, lat in points(code, count):
            e, n = t.transform(lon, lat, errcheck=True)
            rows.append((code, lon, lat, e, n))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["epsg", "lon", "lat", "easting", "northing"])
        for code, lon, lat, e, n in rows:
            w.writerow([code, repr(lon), repr(lat), repr(e), repr(n)])
    print(f"{OUT}: {len(rows)} points, pyproj {pyproj.__version__}, PROJ {pyproj.proj_version_str}")


if __name__ == "__main__":
    main()
