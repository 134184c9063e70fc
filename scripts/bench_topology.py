#!/usr/bin/env python3
"""Side-by-side benchmark of nrqc's topology algorithms and shapely/GEOS, in one run.

Writes a coverage of N jittered grid parcels sharing edges exactly, with injected overlaps
(scripts/topology_reference.py's generator), then times on the same file:

  geometry_valid  shapely.is_valid (vectorised)         vs nrqc validity::is_valid (rayon)
  no_overlap      STRtree query + relate '2********'      vs nrqc topology::overlaps
                  + intersection area
  no_gaps         holes of unary_union                    vs nrqc topology::gaps
  tiles           union of parts vs the whole: gaps,      vs nrqc topology::tiles
                  parts outside, plus the overlaps pass

Medians of RUNS runs; peak memory of each process. shapely is installed for this script only:
    python3 -m venv /tmp/v && /tmp/v/bin/pip install shapely numpy
    /tmp/v/bin/python scripts/bench_topology.py 100000 1000000
    /tmp/v/bin/python scripts/bench_topology.py --phase no_overlap 1000000
"""

import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import shapely
from shapely import STRtree

sys.path.insert(0, str(Path(__file__).resolve().parent))
import topology_reference as ref  # noqa: E402

RUNS = 3
PHASE = None


def median(f):
    times, out = [], None
    for _ in range(RUNS):
        start = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def shapely_overlaps(geoms):
    tree = STRtree(geoms)
    left, right = tree.query(geoms)
    keep = left < right
    left, right = left[keep], right[keep]
    hit = shapely.relate_pattern(geoms[left], geoms[right], "2********")
    areas = shapely.area(shapely.intersection(geoms[left[hit]], geoms[right[hit]]))
    return int((areas > 0).sum())


def shapely_gaps(geoms):
    union = shapely.union_all(geoms)
    parts = shapely.get_parts(union)
    return int(sum(len(p.interiors) for p in parts))


def shapely_tiles(geoms, whole):
    union = shapely.union_all(geoms)
    uncovered = shapely.difference(whole, union)
    outside = shapely.difference(geoms, whole)
    return int((~shapely.is_empty(outside)).sum()) + int(not uncovered.is_empty) + shapely_overlaps(geoms)


def run(n, workdir):
    path = workdir / f"coverage_{n}.wkt"
    if not path.exists():
        ref.bench_coverage(n, path)
    geoms = np.array(shapely.from_wkt(path.read_text().splitlines()))
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    whole = shapely.box(minx, miny, maxx, maxy)
    checks = {
        "geometry_valid": lambda: int((~shapely.is_valid(geoms)).sum()),
        "no_overlap": lambda: shapely_overlaps(geoms),
        "no_gaps": lambda: shapely_gaps(geoms),
        "tiles": lambda: shapely_tiles(geoms, whole),
    }
    geos = {name: median(f)[0] for name, f in checks.items() if PHASE in (None, name)}
    geos_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    args = [str(path), str(RUNS)] + ([PHASE] if PHASE else [])
    out = subprocess.run(
        ["cargo", "run", "-q", "--release", "--example", "bench_topology", "--", *args],
        check=True, capture_output=True, text=True,
    ).stdout
    ours = json.loads(out.strip().splitlines()[-1])
    print(f"\n{len(geoms)} parcels ({path.stat().st_size / 1e6:.0f} MB WKT), "
          f"shapely {shapely.__version__} / GEOS {shapely.geos_version_string}, nrqc {ours['threads']} threads")
    print(f"{'check':<16}{'GEOS s':>10}{'nrqc s':>10}{'ratio':>8}")
    for name, t in geos.items():
        mine = ours[f"{name}_s"]
        print(f"{name:<16}{t:>10.3f}{mine:>10.3f}{t / mine:>7.1f}x")
    print(f"peak memory: python+GEOS {geos_rss:.0f} MB, nrqc {ours['peak_rss_mb']:.0f} MB "
          f"(input {path.stat().st_size / 1e6:.0f} MB)")


if __name__ == "__main__":
    workdir = Path("/tmp/nrqc-bench")
    workdir.mkdir(exist_ok=True)
    argv = sys.argv[1:]
    # --phase NAME times one check only, e.g. to repeat one measurement on a quieter machine.
    PHASE = argv[argv.index("--phase") + 1] if "--phase" in argv else None
    if PHASE:
        del argv[argv.index("--phase"):argv.index("--phase") + 2]
    for n in [int(a) for a in argv] or [100_000]:
        run(n, workdir)
