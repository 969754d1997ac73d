"""The full monthly cycle, measured (`make bench`).

One `postloan run` of every product of the month (meeting pack, scorecards, accountability
review, workout book) for the bank and every branch, HTML + PDF + Excel + JSON, on a sample
bank of the given size. Prints the wall time of each step (from the run's manifest), the
outputs and the PDF pages printed, and the peak memory of the whole process tree (the run,
its kernels and Chromium, sampled every 0.25 s and summed; RSS and PSS).

Then the naive baseline on `medium`: one papermill process per product × scope, each loading
and checking the extract itself, building the product's marts, writing the scope's JSON and
Excel, running the workbook in a fresh kernel and converting it with nbconvert's HTML exporter
(`naive_job.py`: the way a notebook per report is usually scheduled), against one suite run of
the same products and scopes. Both without PDF, so that the ratio compares the work of the
suite, not Chromium. `--naive-kind runs` instead makes each job a `postloan run` of one product
and one scope (the suite's own engine and exporter: what sharing one run across scopes buys).

    python benchmarks/bench_cycle.py [--size large] [--naive-size medium] [--no-naive]
           [--naive-kind papermill|runs] [--compute-in-source] [--keep]

The sample banks are generated once into data/bench/ (seed 42) and reused.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "bench"
POSTLOAN = [sys.executable, "-m", "postloan.cli"]
NAIVE_JOB = [sys.executable, str(ROOT / "benchmarks" / "naive_job.py")]


class TreePeak:
    """Peak of the summed memory of a process and all its descendants: RSS (a page shared by two
    processes, e.g. after a fork, counts in both) and PSS (a shared page divided among its
    sharers: the memory the tree really holds)."""

    def __init__(self, pid: int):
        self.proc, self.peak, self.peak_pss, self._stop = psutil.Process(pid), 0, 0, threading.Event()
        self._t = threading.Thread(target=self._watch, daemon=True)
        self._t.start()

    def _watch(self):
        while not self._stop.is_set():
            try:
                procs = [self.proc] + self.proc.children(recursive=True)
                rss = pss = 0
                for p in procs:
                    try:
                        m = p.memory_full_info()
                        rss, pss = rss + m.rss, pss + getattr(m, "pss", m.rss)
                    except psutil.Error:
                        pass
                self.peak, self.peak_pss = max(self.peak, rss), max(self.peak_pss, pss)
            except psutil.Error:
                return
            self._stop.wait(0.25)            # reading smaps (PSS) of every process costs CPU: 4 times a second

    def stop(self) -> tuple[float, float]:
        """(peak RSS, peak PSS) in MiB."""
        self._stop.set()
        self._t.join()
        return self.peak / 2**20, self.peak_pss / 2**20


def run(args: list[str], log: Path | None = None, command: list[str] = POSTLOAN) -> tuple[float, float, float]:
    """(wall seconds, peak RSS MiB, peak PSS MiB of the process tree) of one postloan command."""
    t0 = time.perf_counter()
    with open(log or os.devnull, "w", encoding="utf-8") as out:
        p = subprocess.Popen(command + args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        peak = TreePeak(p.pid)
        rc = p.wait()
    mib, pss = peak.stop()
    wall = time.perf_counter() - t0
    if rc:
        tail = log.read_text(encoding="utf-8")[-2000:] if log else ""
        raise SystemExit(f"{' '.join(command[1:] + args[:1])} failed (exit {rc}):\n{tail}")
    return wall, mib, pss


def sample(size: str) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    bank = DATA / f"{size}.duckdb"
    if not bank.exists():
        wall, _, _ = run(["sample", "--size", size, "--seed", "42", "--out", str(bank)])
        print(f"  (generated the {size} sample bank in {wall:.0f} s: {bank})")
    return bank


_PAGES = re.compile(rb"/Type\s*/Page[^s]")


def pdf_pages(path: Path) -> int:
    return len(_PAGES.findall(path.read_bytes()))


def published(out: Path) -> tuple[Path, dict]:
    run_dir = next(out.glob("*/run-*"))
    return run_dir, json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))


def full_cycle(size: str, extra: list[str], keep: Path) -> None:
    bank = sample(size)
    out = keep / f"cycle-{size}"
    wall, mib, pss = run(["run", "--source", str(bank), "--out", str(out), "--pdf", *extra],
                         log=keep / f"cycle-{size}.log")
    run_dir, m = published(out)
    kinds: dict[str, int] = {}
    for o in m["outputs"]:
        kinds[o["kind"]] = kinds.get(o["kind"], 0) + 1
    pdfs = [run_dir / o["path"] for o in m["outputs"] if o["kind"] == "pdf"]
    pages = sum(pdf_pages(p) for p in pdfs)
    t = m["timings_seconds"]
    print(f"## full cycle on {size}: {', '.join(m['parameters']['products'])} × "
          f"{len(m['parameters']['scopes'])} scopes ({os.cpu_count()} cores)")
    print(f"  wall {wall:.1f} s   peak RSS {mib:,.0f} MiB, peak PSS {pss:,.0f} MiB (process tree)")
    print("  steps: " + "   ".join(f"{k} {v:.1f} s" for k, v in t.items() if "_" not in k))
    print("  within: " + "   ".join(f"{k} {v:.1f} s" for k, v in t.items() if "_" in k))
    print(f"  outputs {len(m['outputs']):,} ({', '.join(f'{k} {n:,}' for k, n in sorted(kinds.items()))}); "
          f"PDF pages printed {pages:,}")
    pushed = m["source"].get("computed_in_source")
    if pushed:
        print(f"  computed in the source: loan_month {pushed['loan_month_rows']:,} rows, fetched {pushed['rows_fetched']:,} "
              f"rows and {pushed['aggregate_rows']:,} sums")
    print(f"  target: ≤ {300 if size == 'large' else 50} s wall, ≤ 2,048 MiB peak\n", flush=True)


def naive(size: str, keep: Path, kind: str = "papermill") -> None:
    """One process per product × scope (each loads the extract and builds its marts) against one run."""
    bank = sample(size)
    out = keep / f"suite-{size}"
    suite_wall, suite_mib, _ = run(["run", "--source", str(bank), "--out", str(out), "--no-pdf"],
                                log=keep / f"suite-{size}.log")
    _, m = published(out)
    products, scopes = m["parameters"]["products"], m["parameters"]["scopes"]
    naive_wall, naive_mib = 0.0, 0.0
    for product in products:
        for scope in scopes:
            log = keep / f"naive-{product}-{scope}.log"
            if kind == "papermill":
                w, mib, _ = run(["--source", str(bank), "--product", product, "--scope", scope,
                                 "--out", str(keep / f"naive-{size}")], log=log, command=NAIVE_JOB)
            else:
                w, mib, _ = run(["run", "--source", str(bank), "--out", str(keep / f"naive-{size}"), "--no-pdf",
                                 "--products", product, "--scopes", scope], log=log)
            naive_wall += w
            naive_mib = max(naive_mib, mib)
    n = len(products) * len(scopes)
    what = "papermill + nbconvert" if kind == "papermill" else "`postloan run` of one product and scope"
    print(f"## naive baseline on {size}: {n} processes ({len(products)} products × {len(scopes)} scopes, "
          f"each {what}), no PDF")
    print(f"  naive {naive_wall:.1f} s (peak {naive_mib:,.0f} MiB)   suite {suite_wall:.1f} s "
          f"(peak {suite_mib:,.0f} MiB)   ratio {naive_wall / suite_wall:.1f}×   (target ≥ 20×)\n", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="large", help="sample bank of the full cycle (default large)")
    ap.add_argument("--naive-size", default="medium", help="sample bank of the naive baseline (default medium)")
    ap.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    ap.add_argument("--naive-kind", choices=("papermill", "runs"), default="papermill",
                    help="each naive job: papermill + nbconvert (default), or a `postloan run` of one product and scope")
    ap.add_argument("--also", default="medium", help="further sizes for the full cycle, comma-separated ('' for none)")
    ap.add_argument("--compute-in-source", action="store_true", help="pass --compute-in-source to the runs")
    ap.add_argument("--keep", action="store_true", help="keep the outputs and logs (printed at the end)")
    args = ap.parse_args()
    keep = Path(tempfile.mkdtemp(prefix="postloan-cycle-"))
    extra = ["--compute-in-source"] if args.compute_in_source else []
    print(f"# postloan full-cycle benchmark ({os.cpu_count()} cores, Python {sys.version.split()[0]})\n")
    try:
        for size in [args.size] + [s for s in args.also.split(",") if s and s != args.size]:
            full_cycle(size, extra, keep)
        if not args.no_naive:
            naive(args.naive_size, keep, args.naive_kind)
    finally:
        if args.keep:
            print(f"outputs and logs: {keep}")
        else:
            shutil.rmtree(keep, ignore_errors=True)


if __name__ == "__main__":
    main()
