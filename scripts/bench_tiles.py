#!/usr/bin/env python3
"""Benchmark of `tiles` on a unit of many parts, with the release build of nrqc.

For each N, copies fixtures/622923_永靖县 and redraws its unit 徐顶荒地 (6229236000001) as a
multipolygon of N squares on a grid, and the unit's parcels as one feature, a multipolygon of the
same squares (the case of issue 13: a multipolygon of 100,000 parts took 110 s). The two layers
are converted to GeoJSON with ogr2ogr (gdal-bin) and edited here; the rest of the package is the
fixture's. Then times, RUNS times each:

  check   nrqc check with the built-in rules (all of them, reports included)
  tiles   nrqc check with the tiles rule ZR-T103 alone (rules/schema.yaml and that rule)

and prints the medians, the peak memory of the runs and the size of the reports.
`--star N` instead draws one parcel as a star of N spikes inside a rectangular unit, an overlay
past the budget (reported as not checked).

    cargo build --release        # or NRQC=path/to/nrqc for another build
    scripts/bench_tiles.py 10000 30000 100000
    scripts/bench_tiles.py --star 3000 30000
"""

import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures/622923_永靖县"
NRQC = Path(os.environ.get("NRQC", ROOT / "target/release/nrqc"))
UNIT = "6229236000001"
# A box inside the unit's outline (tests/hostile/tiles.rs uses the same).
BOX = (34_627_500.0, 3_995_000.0, 34_633_000.0, 3_998_000.0)
RUNS = 3

TILES_RULE = """rules:
  - id: ZR-T103
    title: 自然状况图斑未完整覆盖所属登记单元
    class: B
    element: 逻辑一致性
    tiles: { layer: ZRZK, key: ZRZYDJDYH, parent: ZRZYDJDY, parent_key: ZRZYDJDYH }
"""


def squares(n):
    x0, y0, x1, y1 = BOX
    side = math.ceil(math.sqrt(n))
    w, h = (x1 - x0) / side, (y1 - y0) / side
    out = []
    for i in range(n):
        x, y = x0 + (i % side) * w, y0 + (i // side) * h
        out.append([[[x, y], [x + w / 2, y], [x + w / 2, y + h / 2], [x, y + h / 2], [x, y]]])
    return out


def star(spikes):
    x0, y0, x1, y1 = BOX
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    ring = []
    for i in range(2 * spikes):
        a = math.pi * i / spikes
        r = 50.0 if i % 2 == 0 else 1000.0
        ring.append([cx + r * math.cos(a), cy + r * math.sin(a)])
    ring.append(ring[0])
    return [[ring]]


def rewrite(pkg, layer, parts):
    """The layer as GeoJSON, the unit's features replaced by one holding `parts`."""
    fgb = pkg / "vector" / f"{layer}.fgb"
    out = pkg / "vector" / f"{layer}.geojson"
    subprocess.run(["ogr2ogr", "-f", "GeoJSON", str(out), str(fgb)], check=True)
    fgb.unlink()
    doc = json.loads(out.read_text())
    features, written = [], False
    for f in doc["features"]:
        if f["properties"]["ZRZYDJDYH"] == UNIT:
            if written:
                continue
            f["geometry"] = {"type": "MultiPolygon", "coordinates": parts}
            written = True
        features.append(f)
    doc["features"] = features
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4522"}}
    out.write_text(json.dumps(doc))


def package(tmp, unit, parcels):
    pkg = tmp / FIXTURE.name
    shutil.copytree(FIXTURE, pkg)
    rewrite(pkg, "ZRZYDJDY", unit)
    rewrite(pkg, "ZRZK", parcels)
    return pkg


def run(args, out):
    """Wall seconds and peak MiB of one nrqc run (wait4 gives this child's own rusage)."""
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    p = subprocess.Popen([str(NRQC), *args, "--quiet", "--out", str(out)])
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"nrqc {' '.join(args)} exited {code}")
    return wall, usage.ru_maxrss / 1024


def skipped(out):
    report = json.loads((out / "report.json").read_text())
    rule = next(r for r in report["rules"] if r["id"] == "ZR-T103")
    return rule["status"], rule["coverage"].get("skipped", [])


def main():
    args = sys.argv[1:]
    shape = "squares"
    if args and args[0] == "--star":
        shape, args = "star", args[1:]
    sizes = [int(a) for a in args] or [10_000, 30_000, 100_000]
    if not NRQC.exists():
        sys.exit(f"{NRQC} is missing: cargo build --release")
    print(f"{shape}: medians of {RUNS} runs, {NRQC}")
    print(f"{'n':>8} {'check s':>8} {'peak MiB':>9} {'reports MB':>10} {'tiles s':>8} {'peak MiB':>9}  ZR-T103")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            if shape == "star":
                x0, y0, x1, y1 = BOX
                rect = [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]
                pkg = package(tmp, [rect], star(n))
            else:
                pkg = package(tmp, squares(n), squares(n))
            rules = tmp / "rules"
            rules.mkdir()
            shutil.copy(ROOT / "rules/schema.yaml", rules)
            (rules / "tiles.yaml").write_text(TILES_RULE)
            full = [run(["check", str(pkg)], tmp / "full") for _ in range(RUNS)]
            size = sum(f.stat().st_size for f in (tmp / "full").iterdir()) / 1e6
            alone = [
                run(["check", str(pkg), "--rules", str(rules)], tmp / "alone") for _ in range(RUNS)
            ]
            status, skips = skipped(tmp / "alone")
            print(
                f"{n:>8} {statistics.median(w for w, _ in full):>8.2f} "
                f"{max(m for _, m in full):>9.0f} {size:>10.1f} "
                f"{statistics.median(w for w, _ in alone):>8.2f} {max(m for _, m in alone):>9.0f}  "
                f"{status} {json.dumps(skips, ensure_ascii=False)}",
                flush=True,
            )


if __name__ == "__main__":
    main()
