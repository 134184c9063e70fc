#!/usr/bin/env python3
"""The GEOS peer of scripts/bench_package.py: seven of nrqc's checks on a survey package, done the
way a Python pipeline on shapely 2 / GEOS, pyogrio (GDAL) and pyproj would do them.

    python3 -m venv /tmp/venv-bench && /tmp/venv-bench/bin/pip install shapely pyogrio pyproj numpy
    /tmp/venv-bench/bin/python scripts/bench_peer_geos.py PKG [--json FILE] [--karney] [--union-all]

It runs in a process of its own (bench_package.py starts it under /usr/bin/time), so its peak
memory is its own. It prints the time of each phase and the count of each check on stderr,
and with --json writes {"counts": {...}, "phases": {...}} to FILE.

What it does (the nrqc rules each one stands for in brackets; tolerances as in rules/*.yaml):

1. unit overlaps [ZR-T101, T102, T108]: units other than 探明储量矿产 (DJDYLX 70) in an STRtree,
   each candidate pair i < j by bounding box kept when relate_pattern says their interiors meet
   in 2D ('2********'), then its intersection; a pair counts when the intersection's
   ellipsoidal area exceeds 0.01 m².
2. tiling [ZR-T103]: per unit, the union of its parcels: coverage_union_all where
   coverage_is_valid says they form a valid coverage (no overlap, matching shared edges: about
   twice as fast as union_all for the two calls together), else union_all. A parcel its
   (prepared) unit does not contain counts when parcel minus unit exceeds 0.01 m². A gap above
   0.01 m² counts once per unit: the unit's area less the union's where all its parcels are
   inside it, else the area of unit minus union. Where the coverage is not valid and the
   parcels' areas add up to more than their union by over 0.01 m², the unit's parcels go through
   the pairwise overlap search of 1, each pair above 0.01 m² counting. A unit without parcels
   is a gap; a unit with a parcel GEOS cannot overlay (invalid) is skipped, as nrqc skips it.
3. parcel areas [ZR-M004]: ellipsoidal area of every parcel vs MJ, |Δ| > 0.005 + 1e-9·area.
4. unit areas [ZR-M005]: ellipsoidal area of every unit vs DJDYZMJ,
   |Δ| > 0.005·(its parcels) + 1e-9·area.
5. unit sums [ZR-M010–M019, F001]: per unit, the sum of its parcels' MJ (all, and by ZYLX and by
   state/collective QSXZ) vs DJDYZMJ, SZYMJ, SDMJ, SLMJ, CYMJ, HDMJ, QTMJ, FZRZYZMJ, GYMJ, JTMJ;
   |Δ| > 0.005 + 0.005·(parcels summed). Parcels naming no unit count here too.
6. red-line links [ZR-R001]: units × STBHHX zones by STRtree, the intersections' ellipsoidal
   area; an overlap above 0.01 m² needs its GGGZ row (GGGZYSLX 生态保护红线, ZRZYDJDYH, GGGZFQBSM
   = HXBM) with |MJ − overlap| ≤ 0.1 + 1e-8·overlap; a missing row, a row off by more, and a row
   naming a pair that does not overlap each count.
7. attributes [ZR-N001, N002, D001–D004, D008]: required fields of units (ZRZYDJDYH, DJDYMC,
   DJDYLX, ZL, DJJG) and parcels (BSM, ZRZYDJDYH, ZYLX, DLBM, QSXZ, MJ) not null nor blank; DJDYLX,
   ZYLX, DLBM and QSXZ in their code lists (rules/codes/*.yaml), and DLBM's resource type
   (DLBM_ZYLX) equal to ZYLX. One count per feature and rule, as nrqc.

Ellipsoidal areas use the official method nrqc implements (国土调查办发〔2008〕32号: every vertex
inverse-projected to (B, L) on CGCS2000 by pyproj, then the ellipsoidal trapezoid of each ring
edge, each ring against its first vertex's meridian, in numpy over the edges of 100,000
geometries at a time). The declared areas were written by that method and the tolerance is 1e-9
of the area, so another area does not reproduce them: the planar area in the Gauss-Krüger plane
is off by the scale factor, and Karney's geodesic polygon (pyproj.Geod.geometry_area_perimeter),
which --karney swaps in for parcel and unit areas one polygon at a time, puts 4,675 of the
100,230 parcels of the 100k package outside the tolerance.

What it does not do (nrqc's other ~70 rules): schema, CRS and coordinate-range checks, geometry
validity (an invalid parcel is still measured for check 3, where nrqc skips it and reports it
once under ZR-G002; GEOS overlays that throw on one are skipped), unit codes and uniqueness,
ownership rules, the parcel-layer-wide overlap pass (ZR-T105), the within-XZQ check, statistics
tables, the messages and geometries of the findings, grading and the reports. It reads each
layer once (only the fields it uses) and shares the ellipsoidal areas between checks 2–5, as
nrqc measures each geometry once for all its rules. It runs on one core (Python, GEOS calls
one at a time); nrqc uses all of them (`--nrqc-arg=--jobs=1` in bench_package.py for one).
Counts are comparable, not identical: where nrqc counts a finding per part or per row this
counts per pair or unit. On the defective fixtures (fixtures/*_defective) the counts equal
nrqc's wherever nrqc ran the rule on the same features.
"""

import argparse
import csv
import io
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from pyproj import CRS, Geod, Transformer
from shapely import STRtree

ROOT = Path(__file__).resolve().parent.parent
MIN_AREA = 0.01

# CGCS2000
A_AXIS = 6378137.0
F = 1 / 298.257222101
E2 = F * (2 - F)
TWO_B2 = 2 * (A_AXIS * (1 - F)) ** 2
_e2, _e4, _e6, _e8 = E2, E2**2, E2**3, E2**4
COEFF = (
    1 + 3 / 6 * _e2 + 30 / 80 * _e4 + 35 / 112 * _e6 + 630 / 2304 * _e8,
    -(1 / 6 * _e2 + 15 / 80 * _e4 + 21 / 112 * _e6 + 420 / 2304 * _e8),
    3 / 80 * _e4 + 7 / 112 * _e6 + 180 / 2304 * _e8,
    -(1 / 112 * _e6 + 45 / 2304 * _e8),
    5 / 2304 * _e8,
)

PHASES = {}


def phase(name, start):
    PHASES[name] = round(time.perf_counter() - start, 3)
    print(f"  {name:<16} {PHASES[name]:8.3f} s", file=sys.stderr, flush=True)
    return time.perf_counter()


# ---- package ------------------------------------------------------------------------------------

def manifest(pkg):
    out = {}
    for line in (pkg / "package.yaml").read_text(encoding="utf-8").splitlines():
        m = re.match(r'^(\w+):\s*"?([^"#]*?)"?\s*(#.*)?$', line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def layer_path(pkg, name):
    for ext in ("fgb", "gpkg", "geojson", "shp"):
        p = pkg / "vector" / f"{name}.{ext}"
        if p.exists():
            return p
    return None


def read_layer(pkg, name, columns):
    path = layer_path(pkg, name)
    if path is None:
        return None, {}
    meta, _, wkb, fields = pyogrio.raw.read(path, columns=columns)
    geoms = shapely.from_wkb(wkb)
    return geoms, dict(zip(meta["fields"], fields))


def read_table(pkg, name, encoding):
    path = pkg / "tables" / f"{name}.csv"
    if not path.exists():
        return []
    raw = path.read_bytes()
    for enc in ("utf-8-sig", encoding or "gbk", "gbk"):
        try:
            text = raw.decode(enc)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    return list(csv.DictReader(io.StringIO(text)))


def code_list(name):
    """The codes of rules/codes/NAME.yaml: `  "0301": SL   # comment` lines under `codes:`."""
    codes, inside = {}, False
    text = (ROOT / "rules" / "codes" / f"{name}.yaml").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("codes:"):
            inside = True
            continue
        m = re.match(r'^\s+"?([^":#]+?)"?\s*:\s*"?([^"#]*?)"?\s*(#.*)?$', line)
        if inside and m:
            codes[m.group(1)] = m.group(2)
    return codes


# ---- areas --------------------------------------------------------------------------------------

class Areas:
    """Ellipsoidal areas of shapely geometries in the package CRS."""

    def __init__(self, crs):
        self.crs = CRS.from_user_input(crs)
        self.geographic = self.crs.is_geographic
        self.to_lonlat = Transformer.from_crs(self.crs, "EPSG:4490", always_xy=True)

    def official(self, geoms, chunk=100_000):
        """国土调查办发〔2008〕32号, vectorised over every ring edge of `chunk` geometries at a
        time (all at once, the temporaries of 1M parcels' edges would take over 1 GB)."""
        geoms = np.asarray(geoms, dtype=object)
        return np.concatenate([self._official(geoms[i:i + chunk])
                               for i in range(0, len(geoms), chunk)] or [np.zeros(0)])

    def _official(self, geoms):
        out = np.zeros(len(geoms))
        parts, part_geom = shapely.get_parts(geoms, return_index=True)
        poly = shapely.get_type_id(parts) == 3
        parts, part_geom = parts[poly], part_geom[poly]
        if len(parts) == 0:
            return out
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        if len(rings) == 0:
            return out
        hole = np.ones(len(rings), dtype=bool)
        hole[np.r_[0, np.flatnonzero(np.diff(ring_part)) + 1]] = False  # first ring: exterior
        xy, ring_of = shapely.get_coordinates(rings, return_index=True)
        if self.geographic:
            lon, lat = xy[:, 0], xy[:, 1]
        else:
            lon, lat = self.to_lonlat.transform(xy[:, 0], xy[:, 1])
        lon, lat = np.radians(lon), np.radians(lat)
        del xy
        # Edges: consecutive vertices of one ring (rings are closed: last = first).
        edge = np.flatnonzero(ring_of[:-1] == ring_of[1:])
        l1, l2, b1, b2 = lon[edge], lon[edge + 1], lat[edge], lat[edge + 1]
        first = np.r_[0, np.flatnonzero(np.diff(ring_of)) + 1]
        l0 = np.empty(len(rings))
        l0[ring_of[first]] = lon[first]
        dl = 0.5 * (l1 + l2) - l0[ring_of[edge]]
        half, mid = 0.5 * (b2 - b1), 0.5 * (b1 + b2)
        bracket = np.zeros(len(edge))
        for k, c in zip((1, 3, 5, 7, 9), COEFF):
            bracket += c * np.sin(k * half) * np.cos(k * mid)
        ring_area = np.abs(np.bincount(ring_of[edge], weights=TWO_B2 * dl * bracket,
                                       minlength=len(rings)))
        ring_area[hole] *= -1
        part_area = np.bincount(ring_part, weights=ring_area, minlength=len(parts))
        np.add.at(out, part_geom, part_area)
        return out

    def karney(self, geoms):
        """pyproj.Geod on the CGCS2000 ellipsoid, lon/lat geometries, one polygon at a time."""
        geod = Geod(a=A_AXIS, f=F)
        transform = self.to_lonlat.transform
        lonlat = shapely.transform(np.asarray(geoms, dtype=object),
                                   lambda xy: np.column_stack(transform(xy[:, 0], xy[:, 1])))
        return np.array([abs(geod.geometry_area_perimeter(g)[0]) for g in lonlat])


# ---- checks -------------------------------------------------------------------------------------

SKIPPED = {"geos_errors": 0}


def each(fn, *arrays, fail=None):
    """fn over whole arrays; when GEOS throws (invalid input), again one element at a time, an
    element that throws giving `fail` (default an empty polygon) and counting in SKIPPED, as
    nrqc skips unmeasurable features."""
    try:
        return fn(*arrays)
    except shapely.errors.GEOSException:
        out = []
        for xs in zip(*arrays):
            try:
                out.append(fn(*xs))
            except shapely.errors.GEOSException:
                SKIPPED["geos_errors"] += 1
                out.append(shapely.Polygon() if fail is None else fail)
        return np.array(out, dtype=object if fail is None else type(fail))


def column(fields, name, n, numeric=False):
    """A field's values; a field the layer lacks reads as empty (its schema rule reports it)."""
    if name not in fields:
        return np.full(n, np.nan) if numeric else np.full(n, None, dtype=object)
    return np.asarray(fields[name], dtype=float if numeric else object)


def overlap_pairs(geoms, areas):
    """Pairs i < j whose interiors overlap by more than MIN_AREA m² (ellipsoidal)."""
    if len(geoms) < 2:
        return np.empty((0, 2), dtype=np.int64)
    tree = STRtree(geoms)
    left, right = tree.query(geoms)
    keep = left < right
    left, right = left[keep], right[keep]
    hit = each(lambda a, b: shapely.relate_pattern(a, b, "2********"), geoms[left],
               geoms[right], fail=False)
    left, right = left[hit], right[hit]
    if len(left) == 0:
        return np.empty((0, 2), dtype=np.int64)
    inter = areas.official(each(shapely.intersection, geoms[left], geoms[right]))
    big = inter > MIN_AREA
    return np.column_stack([left[big], right[big]])


def blank(values):
    """Null, NaN or blank text."""
    values = np.asarray(values)
    if values.dtype.kind == "f":
        return np.isnan(values)
    return np.fromiter((v is None or (isinstance(v, str) and not v.strip()) for v in values),
                       dtype=bool, count=len(values))


def member(values, codes):
    """Each value in the set `codes` (np.isin sorts object arrays: 15 times slower)."""
    codes = set(codes)
    return np.fromiter((v in codes for v in values), dtype=bool, count=len(values))


def run(pkg, karney=False, union_all=False):
    t = start = time.perf_counter()
    meta = manifest(pkg)
    areas = Areas(meta.get("crs", "EPSG:4490"))
    unit_fields = ["ZRZYDJDYH", "DJDYMC", "DJDYLX", "ZL", "DJJG", "DJDYZMJ", "GYMJ", "JTMJ",
                   "SZYMJ", "SDMJ", "SLMJ", "CYMJ", "HDMJ", "QTMJ", "FZRZYZMJ"]
    units, uf = read_layer(pkg, "ZRZYDJDY", unit_fields)
    parcels, pf = read_layer(pkg, "ZRZK", ["BSM", "ZRZYDJDYH", "ZYLX", "DLBM", "QSXZ", "MJ"])
    zones, zf = read_layer(pkg, "STBHHX", ["HXBM"])
    gggz = read_table(pkg, "GGGZ", meta.get("encoding"))
    if units is None or parcels is None:
        sys.exit(f"{pkg}: no ZRZYDJDY or ZRZK layer under vector/")
    t = phase("read", t)

    counts = {}
    n_units, n_parcels = len(units), len(parcels)
    unit_key = column(uf, "ZRZYDJDYH", n_units)
    # Parcels join units by key. A key two units share (a ZR-U002 finding) gives both of them
    # its parcels, as nrqc does; a unit without a key has none and is left out of 2, 4 and 5.
    kid = {}
    unit_kid = np.array([kid.setdefault(k, len(kid)) if isinstance(k, str) and k.strip() else -1
                         for k in unit_key], dtype=np.int64)
    keyed = unit_kid >= 0
    n_keys = len(kid)
    first_unit = np.zeros(n_keys, dtype=np.int64)
    first_unit[unit_kid[keyed][::-1]] = np.flatnonzero(keyed)[::-1]
    parent = np.fromiter((kid.get(k, -1) for k in column(pf, "ZRZYDJDYH", n_parcels)),
                         dtype=np.int64, count=n_parcels)
    order = np.argsort(parent, kind="stable")
    bounds = np.searchsorted(parent[order], np.arange(n_keys + 1))
    per_unit = np.where(keyed, np.diff(bounds)[np.maximum(unit_kid, 0)], 0)
    t = phase("index", t)

    # 3, 4: areas
    if karney:
        parcel_area = areas.karney(parcels)
        unit_area = areas.karney(units)
    else:
        parcel_area = areas.official(parcels)
        unit_area = areas.official(units)
    mj = column(pf, "MJ", n_parcels, numeric=True)
    counts["parcel_areas"] = int(np.sum(~(np.abs(mj - parcel_area)
                                          <= 0.005 + 1e-9 * parcel_area)))
    zmj = column(uf, "DJDYZMJ", n_units, numeric=True)
    counts["unit_areas"] = int(np.sum(~(np.abs(zmj - unit_area)
                                        <= 0.005 * per_unit + 1e-9 * unit_area) & keyed))
    t = phase("areas", t)

    # 5: unit sums
    mj0 = np.nan_to_num(mj)
    has = parent >= 0
    zylx = column(pf, "ZYLX", n_parcels)
    qsxz = column(pf, "QSXZ", n_parcels)
    dlbm = column(pf, "DLBM", n_parcels)
    djdylx = column(uf, "DJDYLX", n_units)
    sums = 0
    targets = [("DJDYZMJ", has)]
    for field, code in [("SZYMJ", "SZY"), ("SDMJ", "SD"), ("SLMJ", "SL"), ("CYMJ", "CY"),
                        ("HDMJ", "HD"), ("QTMJ", "QT"), ("FZRZYZMJ", "FZR")]:
        targets.append((field, has & (zylx == code)))
    targets.append(("GYMJ", has & member(qsxz, ["10", "20"])))
    targets.append(("JTMJ", has & member(qsxz, ["30", "31", "32", "33", "34", "40"])))
    for field, sel in targets:
        total = np.bincount(parent[sel], weights=mj0[sel], minlength=n_keys)[unit_kid]
        terms = np.bincount(parent[sel], minlength=n_keys)[unit_kid]
        declared = np.nan_to_num(column(uf, field, n_units, numeric=True))
        sums += int(np.sum(keyed & ~(np.abs(declared - total) <= 0.005 + 0.005 * terms)))
    counts["unit_sums"] = sums + int(np.sum(~has))
    t = phase("unit_sums", t)

    # 7: attributes (a field the layer lacks is its schema rule's finding, not one per feature)
    attrs = 0
    unit_null = [blank(uf[f]) for f in unit_fields[:5] if f in uf]
    attrs += int(np.sum(np.any(unit_null, axis=0))) if unit_null else 0
    parcel_null = [blank(pf[f]) for f in ("BSM", "ZRZYDJDYH", "ZYLX", "DLBM", "QSXZ")
                   if f in pf]
    parcel_null += [np.isnan(mj)] if "MJ" in pf else []
    attrs += int(np.sum(np.any(parcel_null, axis=0))) if parcel_null else 0
    for values, name in [(djdylx, "DJDYLX"), (zylx, "ZYLX"), (dlbm, "DLBM"),
                         (qsxz, "QSXZ")]:
        values = np.asarray(values, dtype=object)
        filled = ~blank(values)
        attrs += int(np.sum(filled & ~member(values, code_list(name))))
    dlbm_zylx = code_list("DLBM_ZYLX")
    zylx_codes = set(code_list("ZYLX"))
    attrs += sum(1 for d, z in zip(dlbm, zylx)
                 if d in dlbm_zylx and z in zylx_codes and dlbm_zylx[d] != z)
    counts["attributes"] = attrs
    t = phase("attributes", t)

    # 1: unit overlaps (DJDYLX 70 excluded)
    keep = np.flatnonzero(djdylx != "70")
    counts["unit_overlaps"] = len(overlap_pairs(units[keep], areas))
    t = phase("unit_overlaps", t)

    # 2: tiling
    shapely.prepare(units)
    gaps = overhang = overlaps = 0
    unions = np.empty(n_units, dtype=object)
    coverage = np.zeros(n_units, dtype=bool)
    skipped = np.zeros(n_units, dtype=bool)
    for u in range(n_units):
        k = unit_kid[u]
        if k < 0:
            skipped[u] = True
            unions[u] = shapely.Polygon()
            continue
        mine = parcels[order[bounds[k]:bounds[k + 1]]]
        try:
            if len(mine) == 0:
                unions[u] = shapely.Polygon()
            elif not union_all and shapely.coverage_is_valid(mine):
                # No two parcels overlap and shared edges match: GEOS's coverage union is exact.
                coverage[u] = True
                unions[u] = shapely.coverage_union_all(mine)
            else:
                unions[u] = shapely.union_all(mine)
        except shapely.errors.GEOSException:
            # An invalid parcel: the unit is not measurable, as in nrqc (ZR-G002 reports it).
            SKIPPED["geos_errors"] += 1
            skipped[u] = True
            unions[u] = shapely.Polygon()
    union_area = areas.official(unions)
    home = first_unit[np.maximum(parent, 0)]  # a parcel's unit (the first, for a shared key)
    check = has & ~skipped[home]
    inside = np.zeros(n_parcels, dtype=bool)
    inside[check] = each(shapely.contains, units[home[check]], parcels[check], fail=True)
    out = np.flatnonzero(check & ~inside)
    if len(out):
        over = areas.official(each(shapely.difference, parcels[out], units[home[out]]))
        overhang = int(np.sum(over > MIN_AREA))
    # Where every parcel lies inside its unit, the union does too and the gap is the difference
    # of the areas; elsewhere the overlay unit minus union measures it.
    gap_area = unit_area - union_area
    spill = np.flatnonzero(np.isin(unit_kid, parent[out]))
    if len(spill):
        gap_area[spill] = areas.official(each(shapely.difference, units[spill], unions[spill]))
    gaps = int(np.sum(~skipped & ((gap_area > MIN_AREA) | (per_unit == 0))))
    parcel_sum = np.bincount(parent[has], weights=parcel_area[has], minlength=n_keys)[unit_kid]
    for u in np.flatnonzero(~coverage & ~skipped & (parcel_sum - union_area > MIN_AREA)):
        k = unit_kid[u]
        overlaps += len(overlap_pairs(parcels[order[bounds[k]:bounds[k + 1]]], areas))
    counts["tiling"] = gaps + overhang + overlaps
    print(f"  tiling: {gaps} gaps, {overhang} parcels outside, {overlaps} overlapping pairs",
          file=sys.stderr)
    del unions
    t = phase("tiling", t)

    # 6: red-line links
    links = 0
    expected = {}
    if zones is not None and len(zones):
        hxbm = column(zf, "HXBM", len(zones))
        tree = STRtree(zones)
        ui, zi = tree.query(units, predicate="intersects")
        inter = areas.official(each(shapely.intersection, units[ui], zones[zi]))
        for u, z, a in zip(ui, zi, inter):
            if a > MIN_AREA:
                expected[(unit_key[u], hxbm[z])] = a
    rows = {}
    for row in gggz:
        if row.get("GGGZYSLX") == "生态保护红线":
            rows[(row.get("ZRZYDJDYH"), row.get("GGGZFQBSM"))] = row.get("MJ")
    for pair, a in expected.items():
        if pair not in rows:
            links += 1
            continue
        try:
            declared = float(rows[pair])
        except (TypeError, ValueError):
            continue  # left to the not-null rule, as nrqc
        links += int(abs(declared - a) > 0.1 + 1e-8 * a)
    # Rows whose unit or zone does not exist are the reference rules' (ZR-F003, F004), as in nrqc.
    zone_keys = set(hxbm) if zones is not None and len(zones) else set()
    links += sum(1 for pair in rows
                 if pair not in expected and pair[0] in kid and pair[1] in zone_keys)
    counts["redline_links"] = int(links)
    t = phase("redline_links", t)

    PHASES["total"] = round(time.perf_counter() - start, 3)
    return {"counts": counts, "skipped": SKIPPED, "phases": PHASES, "units": n_units,
            "parcels": n_parcels,
            "versions": {"shapely": shapely.__version__, "geos": shapely.geos_version_string,
                         "pyogrio": pyogrio.__version__,
                         "gdal": pyogrio.__gdal_version_string__}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("package", type=Path)
    ap.add_argument("--json", type=Path, help="write counts and phase times here")
    ap.add_argument("--karney", action="store_true",
                    help="parcel and unit areas by pyproj.Geod (Karney), one polygon at a time")
    ap.add_argument("--union-all", action="store_true",
                    help="tiling: union_all for every unit, without the coverage shortcut")
    args = ap.parse_args()
    result = run(args.package, args.karney, args.union_all)
    for name, n in result["counts"].items():
        print(f"  {name:<16} {n:8d} findings", file=sys.stderr)
    if SKIPPED["geos_errors"]:
        print(f"  GEOS errors (invalid input, skipped): {SKIPPED['geos_errors']}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
