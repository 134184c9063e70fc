#!/usr/bin/env python3
"""`nrqc check` beside a GEOS peer on the generated scale package, in one run, and the ratio.

For each parcel count N, the package written by `gen_fixtures --scale N` (under
$BENCH_DIR/scaled_N, default /tmp/nrqc-bench, made when missing and reused after) goes through
`nrqc check PKG --quiet --out DIR` (every built-in rule) and through scripts/bench_peer_geos.py,
a shapely 2 / GEOS + pyogrio + pyproj pipeline doing seven of the checks (unit overlaps, tiling,
parcel and unit areas, unit sums, red-line links, attributes; its docstring says what it does and
does not do). The two alternate, nrqc, peer, nrqc, peer, ..., so the noise of a shared machine
falls on both; each run is a process of its own under /usr/bin/time -f '%e %M', which gives wall
time and peak resident memory. Prints a table (medians of --runs, the largest peak), the
Markdown rows for the README, and a sanity line: nrqc's findings of the rules the peer stands
for beside the peer's count of each check. Last, nrqc's time for the package's largest layer
(report.json `timings.files`: geometry, attributes and digest) beside the bare read of its
geometry on one thread (examples/bench_read.rs), the floor of any full scan.

Setup (shapely and friends for this script only; /usr/bin/time is Debian's `time` package):
    apt-get install time
    python3 -m venv /tmp/venv-bench && /tmp/venv-bench/bin/pip install shapely pyogrio pyproj numpy
    /tmp/venv-bench/bin/python scripts/bench_package.py                 # 100000 1000000, 3 runs
    /tmp/venv-bench/bin/python scripts/bench_package.py 100000 --runs 1
    /tmp/venv-bench/bin/python scripts/bench_package.py --before /tmp/nrqc-main 1000000

`--nrqc PATH` times another build (default target/release/nrqc, built first with
`cargo build --release` unless --no-build or --nrqc is given); `--before PATH` adds a second nrqc
binary, run in the same alternation, for a before/after column. The peer runs on the Python
that runs this script (or --python).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT / "scripts" / "bench_peer_geos.py"
BARE_READ = ROOT / "target" / "release" / "examples" / "bench_read"
TIME = "/usr/bin/time"

# The peer's checks and the nrqc rules each stands for.
GROUPS = {
    "unit_overlaps": ["ZR-T101", "ZR-T102", "ZR-T108"],
    "tiling": ["ZR-T103"],
    "parcel_areas": ["ZR-M004"],
    "unit_areas": ["ZR-M005"],
    "unit_sums": [f"ZR-M0{n}" for n in range(10, 20)] + ["ZR-F001"],
    "redline_links": ["ZR-R001"],
    "attributes": ["ZR-N001", "ZR-N002", "ZR-D001", "ZR-D002", "ZR-D003", "ZR-D004", "ZR-D008"],
}


def timed(cmd, ok=(0,)):
    """Run cmd under /usr/bin/time; (wall s, peak MB, exit code)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as f:
        proc = subprocess.run([TIME, "-f", "%e %M", "-o", f.name, *map(str, cmd)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # time(1) writes "Command exited with non-zero status N" first when the command fails.
        secs, kb = f.read().splitlines()[-1].split()
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{proc.stderr}")
    return float(secs), int(kb) / 1024, proc.returncode


def package(n, bench_dir, gen):
    out = bench_dir / f"scaled_{n}"
    found = sorted(out.glob("*/package.yaml"))
    if not found:
        print(f"writing the {n}-parcel package to {out}", file=sys.stderr)
        subprocess.run([gen, "--scale", str(n), out], check=True, stdout=sys.stderr)
        found = sorted(out.glob("*/package.yaml"))
    return found[0].parent


def size_mb(path):
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def nrqc_counts(report):
    """nrqc's findings for each peer check, from report.json ('not run' where a rule was not)."""
    rules = {r["id"]: r for r in json.loads(report.read_text(encoding="utf-8"))["rules"]}
    out = {}
    for group, ids in GROUPS.items():
        present = [rules[i] for i in ids if i in rules]
        if any(r["status"] == "not_run" for r in present):
            out[group] = "not run"
        else:
            out[group] = sum(r.get("findings", 0) for r in present)
    total = sum(r.get("findings", 0) for r in rules.values())
    return out, total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("counts", nargs="*", type=int, default=[100000, 1000000],
                    help="parcel counts (default 100000 1000000)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--nrqc", type=Path, help="nrqc binary (default target/release/nrqc)")
    ap.add_argument("--before", type=Path, help="a second nrqc binary, for before/after")
    ap.add_argument("--gen-fixtures", type=Path,
                    default=ROOT / "target" / "release" / "examples" / "gen_fixtures")
    ap.add_argument("--bench-dir", type=Path,
                    default=Path(os.environ.get("BENCH_DIR", "/tmp/nrqc-bench")))
    ap.add_argument("--python", default=sys.executable, help="Python with shapely for the peer")
    ap.add_argument("--peer-arg", action="append", default=[],
                    help="passed to bench_peer_geos.py, e.g. --peer-arg=--union-all")
    ap.add_argument("--nrqc-arg", action="append", default=[],
                    help="passed to nrqc check (both binaries), e.g. --nrqc-arg=--jobs=1")
    ap.add_argument("--no-build", action="store_true", help="do not run cargo build first")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)

    if not os.access(TIME, os.X_OK):
        sys.exit(f"{TIME} is missing: apt-get install time")
    if args.nrqc is None:
        args.nrqc = ROOT / "target" / "release" / "nrqc"
        if not args.no_build:
            subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "nrqc",
                            "--example", "gen_fixtures", "--example", "bench_read"],
                           cwd=ROOT, check=True)
    for b in [args.nrqc, args.before, args.gen_fixtures, BARE_READ]:
        if b is not None and not os.access(b, os.X_OK):
            sys.exit(f"no executable {b}")
    args.bench_dir.mkdir(parents=True, exist_ok=True)

    binaries = [("nrqc", args.nrqc)] + ([("before", args.before)] if args.before else [])
    for name, b in binaries:
        version = subprocess.run([b, "--version"], capture_output=True, text=True).stdout.strip()
        print(f"{name}: {b} ({version})")
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(f"cores: {os.cpu_count()}, load average at start: {' '.join(load)}, runs: {args.runs}")

    rows, reads = [], []
    for n in args.counts:
        pkg = package(n, args.bench_dir, args.gen_fixtures)
        mb = size_mb(pkg)
        times = {name: [] for name, _ in binaries + [("peer", None)]}
        # nrqc's time for its largest file (report.json `timings.files`), beside the bare read.
        loads = []
        peaks = {name: 0.0 for name in times}
        peer_json = args.bench_dir / f"peer_{n}.json"
        for run in range(args.runs):
            for name, b in binaries:
                out = args.bench_dir / f"report_{n}_{name}"
                secs, peak, code = timed([b, "check", pkg, "--quiet", "--out", out, *args.nrqc_arg],
                                        ok=(0, 1))
                times[name].append(secs)
                peaks[name] = max(peaks[name], peak)
                print(f"  {n} run {run + 1}: {name} {secs:.2f} s {peak:.0f} MB (exit {code})",
                      file=sys.stderr)
                if name == "nrqc":
                    files = json.loads((out / "report.json").read_text(encoding="utf-8"))
                    largest = max(files["timings"]["files"], key=lambda f: f["ms"])
                    loads.append((largest["path"], largest["ms"] / 1000))
            secs, peak, _ = timed([args.python, PEER, pkg, "--json", peer_json, *args.peer_arg])
            times["peer"].append(secs)
            peaks["peer"] = max(peaks["peer"], peak)
            print(f"  {n} run {run + 1}: peer {secs:.2f} s {peak:.0f} MB", file=sys.stderr)
        medians = {k: statistics.median(v) for k, v in times.items()}
        peer = json.loads(peer_json.read_text(encoding="utf-8"))
        ours, total = nrqc_counts(args.bench_dir / f"report_{n}_nrqc" / "report.json")
        rows.append((n, mb, medians, peaks, times, peer, ours, total))
        layer = loads[0][0]
        bare = subprocess.run([BARE_READ, pkg / layer, str(args.runs)], capture_output=True,
                              text=True, check=True)
        bare_s = json.loads(bare.stdout)["median_s"]
        loaded = statistics.median(s for _, s in loads)
        reads.append(f"{n:,} parcels, loading {layer}: nrqc {loaded:.2f} s (geometry, attributes, "
                     f"digest, on all cores) vs the bare read {bare_s:.2f} s (geometry only, one "
                     f"thread, examples/bench_read.rs): {loaded / bare_s:.2f}×")

    head = ["parcels", "package MB", "nrqc s", "nrqc MB"]
    if args.before:
        head += ["before s", "before MB", "before/nrqc"]
    head += ["GEOS s", "GEOS MB", "ratio"]
    print()
    print(("{:>10} " * len(head)).format(*head))
    md = []
    for n, mb, med, peak, times, peer, ours, total in rows:
        cells = [f"{n:,}", f"{mb:.0f}", f"{med['nrqc']:.2f}", f"{peak['nrqc']:.0f}"]
        if args.before:
            cells += [f"{med['before']:.2f}", f"{peak['before']:.0f}",
                      f"{med['before'] / med['nrqc']:.2f}×"]
        cells += [f"{med['peer']:.2f}", f"{peak['peer']:.0f}", f"{med['peer'] / med['nrqc']:.1f}×"]
        print(("{:>10} " * len(cells)).format(*cells))
        md.append("| " + " | ".join(cells) + " |")
    print()
    for n, mb, med, peak, times, peer, ours, total in rows:
        each = ", ".join(f"{k} " + "/".join(f"{s:.2f}" for s in v) for k, v in times.items())
        print(f"{n:,} parcels, every run (s): {each}")
        pairs = ", ".join(f"{k} {ours[k]}/{peer['counts'][k]}" for k in GROUPS)
        print(f"{n:,} parcels, findings nrqc/peer: {pairs}; nrqc all rules: {total}")
        skipped = peer.get("skipped", {}).get("geos_errors", 0)
        phases = ", ".join(f"{k} {v:.2f}" for k, v in peer["phases"].items())
        print(f"{n:,} parcels, peer phases (s, last run): {phases}"
              + (f"; GEOS errors skipped: {skipped}" if skipped else ""))
    print("\n".join(reads))
    v = rows[0][5]["versions"] if rows else {}
    print(f"peer: shapely {v.get('shapely')} / GEOS {v.get('geos')}, pyogrio {v.get('pyogrio')} "
          f"/ GDAL {v.get('gdal')}")
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(f"load average at end: {' '.join(load)}")
    print()
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    print("\n".join(md))


if __name__ == "__main__":
    main()
