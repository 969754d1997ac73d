"""Benchmark of the Voila dashboards in headless Chromium: time from the request to the
bank-wide meeting pack's figures on screen (first paint), with and without preheated
kernels, and the time a scope change takes to redraw.

    python benchmarks/bench_dashboards.py [--size medium] [--runs 10] [--outputs DIR]

A published run of the sample bank is made first (meeting pack, all scopes, no PDF)
unless --outputs points at one. First paint: a new page per request; with preheat the
benchmark waits for the pool to refill between requests, as a server in use would have.
Scope change: the first visit of each branch (drawn) and the second (already drawn).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from postloan.cli import main as cli  # noqa: E402
from postloan.run.export import CHROMIUM_FLAGS, find_chromium  # noqa: E402

TOKEN = "bench-token-0123456789"
VIEW = "(document.querySelector('.widget-output') || {innerText: ''}).innerText"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _publish(size: str, work: Path) -> Path:
    bank = work / f"{size}.duckdb"
    cli(["sample", "--size", size, "--seed", "42", "--out", str(bank)])
    out = work / "outputs"
    cli(["run", "--source", str(bank), "--out", str(out), "--products", "meeting_pack", "--no-pdf"])
    return out


def _serve(outputs: Path, preheat: bool):
    port = _port()
    log = open(outputs.parent / f"voila-{'preheat' if preheat else 'cold'}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "postloan.cli", "serve", "--port", str(port), "--outputs", str(outputs)]
                            + ([] if preheat else ["--no-preheat"]),
                            env={**os.environ, "POSTLOAN_DASHBOARD_TOKEN": TOKEN}, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    return proc, f"http://127.0.0.1:{port}"


def _wait_view(page, text: str, timeout_s: float = 120) -> None:
    page.wait_for_function(f"t => {VIEW}.includes(t)", arg=text, timeout=timeout_s * 1000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="medium")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--outputs", default=None, help="a folder of published runs (default: publish the sample bank)")
    ap.add_argument("--refill", type=float, default=15.0, help="seconds between preheated requests (pool refill)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="postloan-dashbench-"))
    outputs = Path(args.outputs) if args.outputs else _publish(args.size, work)
    run = sorted(outputs.glob("*/run-*/manifest.json"))[-1].parent
    figures = json.loads((run / "meeting_pack" / "all.json").read_text(encoding="utf-8"))
    total = f"{figures['total_balance'] / 1e8:,.2f} 亿元"
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    branches = [s for s in manifest["parameters"]["scopes"] if s != "all"]
    print(f"# dashboards benchmark: {args.size} sample bank, run {run.name}, {args.runs} requests per mode")
    print(f"# figures shown = the bank-wide loan balance {total} in the dashboard's view\n")
    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS[1:])
        for preheat in (True, False):
            proc, base = _serve(outputs, preheat)
            try:
                if preheat:
                    time.sleep(args.refill + 10)          # the first pool: four notebooks, two cores
                firsts = []
                for i in range(args.runs):
                    page = browser.new_page(viewport={"width": 1280, "height": 1000})
                    t0 = time.perf_counter()
                    page.goto(f"{base}/voila/render/meeting_pack.ipynb?token={TOKEN}", wait_until="commit")
                    _wait_view(page, total)
                    firsts.append(time.perf_counter() - t0)
                    if preheat and i == 0:
                        changes = _scope_changes(page, branches)
                    page.close()
                    if preheat:
                        time.sleep(args.refill)
                results[preheat] = firsts
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        browser.close()
    for preheat, xs in results.items():
        print(f"first paint, {'preheated kernels' if preheat else 'no preheat      '}: median {statistics.median(xs):.2f} s, "
              f"min {min(xs):.2f} s, max {max(xs):.2f} s  ({', '.join(f'{x:.2f}' for x in xs)})")
    first_visit, second_visit = changes
    print(f"scope change, first visit of a branch : median {statistics.median(first_visit):.2f} s "
          f"({', '.join(f'{x:.2f}' for x in first_visit)})")
    print(f"scope change, branch seen before      : median {statistics.median(second_visit):.2f} s "
          f"({', '.join(f'{x:.2f}' for x in second_visit)})")


def _scope_changes(page, branches: list[str]) -> tuple[list[float], list[float]]:
    """Select each branch in turn, twice round; time until its own title is in the view."""
    select = page.locator("select").nth(1)
    names = [n for n in (o.inner_text() for o in select.locator("option").all()) if n != "全行"][:len(branches)]
    first, second = [], []
    for round_ in (first, second):
        for name in names:
            t0 = time.perf_counter()
            select.select_option(label=name)
            _wait_view(page, f"{name} 贷后管理例会材料（", 60)
            round_.append(time.perf_counter() - t0)
    return first, second


if __name__ == "__main__":
    main()
