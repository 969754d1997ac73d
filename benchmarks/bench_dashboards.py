"""Benchmark of the Voila dashboards in headless Chromium, for every product: time from
the request to the bank-wide view's figures on screen (first paint), with and without
preheated kernels, and the time a scope change takes to redraw.

    python benchmarks/bench_dashboards.py [--size medium] [--runs 5] [--outputs DIR]
           [--products meeting_pack,scorecards,accountability,workout]

A published run of the sample bank is made first (every product, all scopes, no PDF)
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
    cli(["run", "--source", str(bank), "--out", str(out), "--no-pdf"])
    return out


def _first_figure(product: str, figures: dict) -> str:
    """A text of the bank-wide view that carries one of its figures (from the published JSON):
    the view is on screen when it is."""
    if product == "meeting_pack":
        return f"{figures['total_balance'] / 1e8:,.2f} 亿元"
    if product == "scorecards":
        return f"客户经理 {len(figures['officers'])} 人"
    if product == "accountability":
        return f"本期纳入责任认定的案件 {figures['cases']} 笔"
    if product == "workout":
        return f"纳入清收处置的案件 {figures['workout_cases']} 笔"
    raise SystemExit(f"no marker for product {product}")


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
    ap.add_argument("--runs", type=int, default=5, help="first-paint requests per product and mode")
    ap.add_argument("--outputs", default=None, help="a folder of published runs (default: publish the sample bank)")
    ap.add_argument("--products", default="meeting_pack,scorecards,accountability,workout")
    ap.add_argument("--refill", type=float, default=15.0, help="seconds between preheated requests (pool refill)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright
    from postloan.products import PRODUCTS

    work = Path(tempfile.mkdtemp(prefix="postloan-dashbench-"))
    outputs = Path(args.outputs) if args.outputs else _publish(args.size, work)
    run = sorted(outputs.glob("*/run-*/manifest.json"))[-1].parent
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    products = [p for p in args.products.split(",") if p in manifest["parameters"]["products"]]
    branches = [s for s in manifest["parameters"]["scopes"] if s != "all"]
    markers = {p: _first_figure(p, json.loads((run / p / "all.json").read_text(encoding="utf-8"))) for p in products}
    print(f"# dashboards benchmark: {args.size} sample bank, run {run.name}, {args.runs} requests per product and mode")
    print("# first paint = until the bank-wide view shows a figure of its published JSON:")
    for p in products:
        print(f"#   {p:15s} {markers[p]}")
    print()
    firsts: dict[tuple[str, bool], list[float]] = {}
    changes: dict[str, tuple[list[float], list[float]]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS[1:])
        for preheat in (True, False):
            proc, base = _serve(outputs, preheat)
            try:
                if preheat:
                    time.sleep(args.refill + 10)          # the first pool: a kernel per dashboard, two cores
                for product in products:
                    xs = firsts.setdefault((product, preheat), [])
                    for i in range(args.runs):
                        page = browser.new_page(viewport={"width": 1280, "height": 1000})
                        t0 = time.perf_counter()
                        page.goto(f"{base}/voila/render/{product}.ipynb?token={TOKEN}", wait_until="commit")
                        try:
                            _wait_view(page, markers[product])
                        except Exception:
                            shot = work / f"stuck-{product}-{'preheat' if preheat else 'cold'}-{i + 1}.png"
                            page.screenshot(path=str(shot))
                            raise SystemExit(f"{product}, request {i + 1} ({'preheated' if preheat else 'no preheat'}): "
                                             f"no '{markers[product]}' after 120 s; on screen: "
                                             f"{page.evaluate('document.body.innerText')[:300]!r}; screenshot {shot}; "
                                             f"server log {outputs.parent}") from None
                        xs.append(time.perf_counter() - t0)
                        print(f"  {product} {'preheated' if preheat else 'no preheat'} #{i + 1}: {xs[-1]:.2f} s", flush=True)
                        if preheat and i == 0:
                            changes[product] = _scope_changes(page, branches, PRODUCTS[product].label)
                        # leave the page as a closed tab does: its beforeunload beacon frees its kernel
                        # (Playwright's page.close() alone fires none, and 20 views would reach the cap)
                        page.goto("about:blank")
                        page.close()
                        if preheat:
                            time.sleep(args.refill)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        browser.close()

    def line(xs):
        return f"median {statistics.median(xs):5.2f} s  (min {min(xs):.2f}, max {max(xs):.2f}; n={len(xs)})"
    for product in products:
        print(f"{product} ({PRODUCTS[product].label})")
        print(f"  first paint, preheated kernels       : {line(firsts[(product, True)])}")
        print(f"  first paint, no preheat              : {line(firsts[(product, False)])}")
        first_visit, second_visit = changes[product]
        print(f"  scope change, first visit of a branch: {line(first_visit)}")
        print(f"  scope change, branch seen before     : {line(second_visit)}")
        print(f"  scope change, both                   : {line(first_visit + second_visit)}")


def _scope_changes(page, branches: list[str], label: str) -> tuple[list[float], list[float]]:
    """Select each branch in turn, twice round; time until its own title is in the view."""
    select = page.locator("select").nth(1)
    names = [n for n in (o.inner_text() for o in select.locator("option").all()) if n != "全行"][:len(branches)]
    first, second = [], []
    for round_ in (first, second):
        for name in names:
            t0 = time.perf_counter()
            select.select_option(label=name)
            _wait_view(page, f"{name} {label}（", 60)
            round_.append(time.perf_counter() - t0)
    return first, second


if __name__ == "__main__":
    main()
