"""Where a command's CPU and memory go: run it, sample the CPU time of every process in its tree
once a second, and print the CPU seconds by kind of process (the run's main process, its forked
workers, the Jupyter kernels, Chromium) and per 10-second window, so that an idle core shows.
With --memory it also reads each process's PSS (proportional set size: shared pages split
between their sharers) and prints the tree's peak, what each kind held at that moment, and the
peak of each window.

    python benchmarks/cpu_by_process.py -- .venv/bin/postloan run --source data/bench/large.duckdb --out /tmp/x

A process's CPU is read while it lives: a Chromium renderer that ends between two samples loses
up to a second. The command's own output goes to --log (default: discarded).
"""
from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
import time

import psutil


def _kind(proc: psutil.Process, root: int) -> str:
    try:
        line = " ".join(proc.cmdline())
        if "chrom" in line:                 # by Chromium's process type: renderer, utility:PrintCompositor, …
            kind = re.search(r"--type=(\S+)", line)
            sub = re.search(r"--utility-sub-type=(\S+)", line)
            return "chromium" + (":" + kind.group(1) if kind else "") + ("." + sub.group(1).split(".")[-1] if sub else "")
        if "ipykernel" in line:
            return "kernel"
        if proc.pid == root:
            return "main"
        if proc.ppid() == root and "postloan" in line:
            return "worker (fork)"
        return "other: " + proc.name()
    except psutil.Error:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--log", default=None, help="file for the command's output")
    ap.add_argument("--memory", action="store_true", help="also sample PSS by kind (slower samples)")
    ap.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        ap.error("no command given")
    t0 = time.time()
    with open(args.log or "/dev/null", "w", encoding="utf-8") as out:
        p = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        root = psutil.Process(p.pid)
        last: dict = {}
        kind: dict = {}
        windows: dict = collections.defaultdict(collections.Counter)
        peak, peak_at, peak_kinds = 0, 0.0, collections.Counter()
        window_peak: dict = collections.defaultdict(int)
        window_kinds: dict = {}
        while p.poll() is None:
            try:
                procs = [root] + root.children(recursive=True)
            except psutil.Error:
                break
            held = collections.Counter()
            for proc in procs:
                try:
                    c = proc.cpu_times()
                    key = (proc.pid, proc.create_time())
                    kind.setdefault(key, _kind(proc, p.pid))
                    windows[int(time.time() - t0) // 10][kind[key]] += c.user + c.system - last.get(key, 0.0)
                    last[key] = c.user + c.system
                    if args.memory:
                        held[kind[key]] += proc.memory_full_info().pss
                except psutil.Error:
                    pass
            if args.memory:
                now = sum(held.values())
                w = int(time.time() - t0) // 10
                if now > window_peak[w]:
                    window_peak[w], window_kinds[w] = now, held
                if now > peak:
                    peak, peak_at, peak_kinds = now, time.time() - t0, held
            time.sleep(1)
    total = collections.Counter()
    for key, seconds in last.items():
        total[kind[key]] += seconds
    print(f"wall {time.time() - t0:.1f} s, exit code {p.returncode}, CPU {sum(total.values()):.1f} s")
    for k, v in total.most_common():
        print(f"  {k:22s} {v:8.1f} s CPU")
    print("CPU seconds per 10 s window (20 = both cores busy):")
    for w in sorted(windows):
        print(f"  {w * 10:5d} s  " + "  ".join(f"{k}={v:.0f}" for k, v in sorted(windows[w].items()) if v >= 0.5))
    if args.memory and peak:
        mib = 1024 * 1024
        print(f"peak PSS {peak / mib:,.0f} MiB at {peak_at:.0f} s: " +
              "  ".join(f"{k}={v / mib:,.0f}" for k, v in peak_kinds.most_common()))
        print("peak PSS per 10 s window (MiB), and what each kind held then:")
        for w, v in sorted(window_peak.items()):
            print(f"  {w * 10:5d} s  {v / mib:6,.0f}  " +
                  "  ".join(f"{k}={n / mib:,.0f}" for k, n in window_kinds[w].most_common() if n >= 16 * mib))
    sys.exit(p.returncode)


if __name__ == "__main__":
    main()
