"""The Voila dashboards in a real headless Chromium, over a published run of the sample bank.

Starts `postloan serve`'s Voila command on a free port with a token; drives Debian's
chromium through Playwright (no browser download). Screenshots go to tests/artifacts/."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from postloan.cli import voila_command
from postloan.present import fmt

ARTIFACTS = Path(__file__).resolve().parents[1] / "tests" / "artifacts"
TOKEN = "test-token-123"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(published_run):
    from postloan.run.export import ExportError, find_chromium
    try:
        find_chromium()
    except ExportError as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    port = _free_port()
    env = {**os.environ, "POSTLOAN_OUTPUTS": str(published_run.parent.parent)}
    proc = subprocess.Popen(voila_command(port, TOKEN, preheat=False), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("voila did not start within 60 s")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright
    from postloan.run.export import CHROMIUM_FLAGS, find_chromium
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS[1:])
        yield b
        b.close()


def _open(browser, url, wait_text, shot=None):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(url, timeout=240000)
    page.wait_for_selector(f"text={wait_text}", timeout=240000)
    if shot:
        page.screenshot(path=str(ARTIFACTS / shot), full_page=False)
    return page


def _no_leaks(page):
    body = page.inner_text("body")
    for leak in ("Traceback", "from postloan", "import ", "dashboard(", "Error:"):
        assert leak not in body, leak
    return body


def test_landing_page_lists_the_published_run(browser, server, published_run):
    page = _open(browser, f"{server}/voila/render/index.ipynb?token={TOKEN}", "已发布结果", "landing.png")
    body = _no_leaks(page)
    assert published_run.parent.name in body and "贷后管理例会材料" in body


def test_meeting_pack_shows_the_published_figures_and_follows_the_scope(browser, server, published_run):
    figures = json.loads((published_run / "meeting_pack" / "all.json").read_text(encoding="utf-8"))
    # explicit scope: a dashboard URL carrying only the token hangs under Voila 0.5.13 (open, see the issue note)
    page = _open(browser, f"{server}/voila/render/meeting_pack.ipynb?token={TOKEN}&scope=all", "贷后管理例会材料（",
                 "meeting_pack_all.png")
    body = _no_leaks(page)
    assert "全行 贷后管理例会材料" in body
    assert fmt.money(figures["total_balance"], "亿元") in body and fmt.pct(figures["npl_ratio"]) in body
    b100 = json.loads((published_run / "meeting_pack" / "B100.json").read_text(encoding="utf-8"))
    page.locator("select").nth(1).select_option(label="B100")
    page.wait_for_selector("text=杭州分行 贷后管理例会材料", timeout=60000)
    page.wait_for_selector(f"text={fmt.money(b100['total_balance'], '亿元')}", timeout=30000)
    page.screenshot(path=str(ARTIFACTS / "meeting_pack_B100.png"))
    _no_leaks(page)


@pytest.mark.parametrize("query", ["evil=1", "scope=__import__('os').system('id')", "period=../../etc/passwd",
                                   "scope=B100&scope=B200", "officer=<script>alert(1)</script>"])
def test_crafted_query_strings_change_nothing_and_reveal_nothing(browser, server, query):
    page = _open(browser, f"{server}/voila/render/meeting_pack.ipynb?token={TOKEN}&{query}", "无法显示")
    body = _no_leaks(page)
    assert "(" in body and ")" in body                     # the English code beside the Chinese message
    assert "贷款余额" not in body


def test_scorecard_dashboard_for_one_officer_and_accountability_draft(browser, server, published_run):
    sc = json.loads((published_run / "scorecards" / "all.json").read_text(encoding="utf-8"))
    officer = sc["officers"][0]
    page = _open(browser, f"{server}/voila/render/scorecards.ipynb?token={TOKEN}&officer={officer['officer_id']}",
                 officer["name"], "scorecard_officer.png")
    _no_leaks(page)
    page = _open(browser, f"{server}/voila/render/scorecards.ipynb?token={TOKEN}&officer=E99999", "无法显示")
    _no_leaks(page)
    page = _open(browser, f"{server}/voila/render/accountability.ipynb?token={TOKEN}&scope=all", "责任认定建议稿",
                 "accountability.png")
    _no_leaks(page)


def test_requests_without_the_token_are_refused_and_sources_are_not_served(browser, server):
    page = browser.new_page()
    page.goto(f"{server}/voila/render/meeting_pack.ipynb", timeout=60000)
    assert "/login" in page.url
    assert "贷后管理例会材料" not in page.inner_text("body")
    import urllib.request
    for path in ("/voila/files/meeting_pack.ipynb", "/api/contents", "/voila/api/contents"):
        req = urllib.request.Request(f"{server}{path}?token={TOKEN}")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                text = r.read().decode("utf-8", "replace")
                assert "dashboard(" not in text and "from postloan" not in text, path
        except urllib.error.HTTPError as exc:
            assert exc.code in (403, 404), (path, exc.code)
