#!/usr/bin/env python3
"""Release-build time and peak memory of `nrqc check` on one registration unit of n vertices.

The packages are the clean 永靖县 fixture with its first ZRZYDJDY unit replaced, written by the
ignored test `hostile::scale::write_package` (tests/hostile/scale.rs), so the bench and the tests share
one generator:

- `circle`: a ring of n vertices and 1 km radius, through every built-in rule;
- `fan`: n spikes alternating 10 m and 2 km from a centre over a quarter turn (every segment's
  box meets most others), through the geometry rules only (`schema.yaml`, `geometry.yaml`):
  the overlays of the topology rules are bounded elsewhere.

Prints, for each shape and n, the median wall time and peak resident memory of `--runs` runs,
and the FlatGeobuf's coordinate bytes (16 per vertex) with peak memory as a multiple of them.

Usage: cargo build --release && scripts/bench_scale.py [--runs 3] [--circle 1e6,2e6,5e6]
       [--fan 1e5,1e6] [--nrqc target/release/nrqc]

`--nrqc` runs another build, e.g. a copy of main's binary for a before/after comparison.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NRQC = os.path.join(ROOT, "target", "release", "nrqc")


def package(shape, n, where):
    out = os.path.join(where, f"{shape}_{n}", "622923_永靖县")
    env = dict(os.environ, NRQC_SCALE_SHAPE=shape, NRQC_SCALE_N=str(n), NRQC_SCALE_OUT=out)
    subprocess.run(
        ["cargo", "test", "--quiet", "--test", "it", "hostile::scale::write_package", "--",
         "--ignored", "--exact"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return out


def run(nrqc, pkg, rules):
    out = os.path.join(os.path.dirname(pkg), "out")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [nrqc, "check", pkg, "--quiet", "--out", out] + (["--rules", rules] if rules else [])
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)}: exit {code}: {proc.stderr.read().decode()}")
    return wall, usage.ru_maxrss / 1024


def sizes(text):
    return [int(float(x)) for x in text.split(",") if x]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--circle", default="1e6,2e6,5e6")
    ap.add_argument("--fan", default="1e5,1e6")
    ap.add_argument("--nrqc", default=NRQC)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as where:
        rules = os.path.join(where, "rules")
        os.mkdir(rules)
        for f in ("schema.yaml", "geometry.yaml"):
            shutil.copy(os.path.join(ROOT, "rules", f), rules)
        print("shape   vertices   input MB   wall s (median)   peak MiB   peak / coordinates")
        for shape, ns, rule_dir in (("circle", sizes(args.circle), None),
                                    ("fan", sizes(args.fan), rules)):
            for n in ns:
                pkg = package(shape, n, where)
                runs = [run(args.nrqc, pkg, rule_dir) for _ in range(args.runs)]
                wall = statistics.median(w for w, _ in runs)
                peak = statistics.median(m for _, m in runs)
                coords = 16 * n / 2**20
                print(f"{shape:7} {n:>9}  {coords:9.1f}   {wall:15.2f}   {peak:8.0f}   "
                      f"{peak / coords:6.1f}x", flush=True)
                shutil.rmtree(os.path.dirname(pkg))


if __name__ == "__main__":
    main()
