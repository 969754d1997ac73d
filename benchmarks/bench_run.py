"""Benchmark of the monthly run (`postloan run`) on the medium and large sample banks:
time of each step (validate, marts, render, export), peak memory, and the time per
additional scope (a run of `all` alone against `all` plus every branch).

    python benchmarks/bench_run.py [--sizes medium,large] [--pdf]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def child(args: list[str]) -> tuple[float, float]:
    code = ("import sys, resource; from postloan.cli import main; rc = main(sys.argv[1:]); "
            "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(rc)")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode:
        raise SystemExit(out.stdout[-1500:] + out.stderr[-1500:])
    line = next(x for x in out.stdout.splitlines() if x.startswith("MAXRSS"))
    own, kids = map(int, line.split()[1:])
    return wall, max(own, kids) / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="medium,large")
    ap.add_argument("--pdf", action="store_true", help="include the PDF export (needs chromium)")
    ap.add_argument("--products", default="meeting_pack", help="meeting_pack, scorecards or both, comma-separated")
    ap.add_argument("--period", default=None, help="period to run (default: the latest month)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="postloan-runbench-"))
    pdf = ([] if args.pdf else ["--no-pdf"]) + ["--products", args.products] + (
        ["--period", args.period] if args.period else [])
    print(f"# postloan run benchmark: {args.products} ({'with' if args.pdf else 'without'} PDF)\n")
    print(f"{'size':<8}{'scopes':>7}{'wall s':>9}{'peak MiB':>10}{'validate':>10}{'marts':>8}{'render':>8}{'export':>8}")
    for size in args.sizes.split(","):
        bank = work / f"{size}.duckdb"
        child(["sample", "--size", size, "--seed", "42", "--out", str(bank)])
        results = {}
        for label, scopes in (("all", ["--scopes", "all"]), ("default", [])):
            out = work / f"out-{size}-{label}"
            wall, peak = child(["run", "--source", str(bank), "--out", str(out), *scopes, *pdf])
            manifest = json.loads(next(out.glob("*/run-*/manifest.json")).read_text(encoding="utf-8"))
            if "scorecards" in args.products:
                sc = json.loads(next(out.glob("*/run-*/scorecards/all.json")).read_text(encoding="utf-8"))
                print(f"  (scorecards: {len(sc['officers'])} officers in scope all)")
            t = manifest["timings_seconds"]
            n = len(manifest["parameters"]["scopes"])
            results[label] = (n, t)
            print(f"{size:<8}{n:>7}{wall:>9.1f}{peak:>10.0f}{t['validate']:>10.1f}{t['marts']:>8.1f}"
                  f"{t['render']:>8.1f}{t['export']:>8.1f}")
        (n1, t1), (n2, t2) = results["all"], results["default"]
        per = ((t2["render"] + t2["export"]) - (t1["render"] + t1["export"])) / max(n2 - n1, 1)
        print(f"{size:<8} time per additional scope (render + export): {per:.2f} s")


if __name__ == "__main__":
    main()
