"""The Voila dashboards in a real headless Chromium, over a published run of the sample bank.

Starts `postloan serve` (preheated kernels, token from the environment, 127.0.0.1) on a
free port; drives Debian's chromium through Playwright (no browser download). Expected
figures come from the run's figures JSON, formatted independently here. Screenshots of
each dashboard go to the session's temporary folder (POSTLOAN_TEST_ARTIFACTS to keep them)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import _SESSION_DIR, servers_required

ARTIFACTS = Path(os.environ.get("POSTLOAN_TEST_ARTIFACTS") or _SESSION_DIR / "artifacts")
TOKEN = "test-token-1234567890"
LEAKS = ("Traceback", "from postloan", "import ", "dashboard(", "Error:", "File \"", ".py\"")


def _money_yi(yuan: float) -> str:
    return f"{yuan / 1e8:,.2f} 亿元"


def _pct(ratio: float) -> str:
    return f"{ratio * 100:.2f}%"


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
        if servers_required() or os.environ.get("CI"):
            pytest.fail(f"{exc} (CI: browser tests must run)")
        pytest.skip(str(exc))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "voila.log", "w") as log:
        proc, base = _start_voila(published_run, log)
        yield base
        proc.terminate()
        proc.wait(timeout=30)


def _start_voila(published_run, log, *args, port=None, token=TOKEN):
    """`postloan serve` on a free port over the run's outputs; (process, base URL)."""
    port = port or _free_port()
    env = {**os.environ, "POSTLOAN_DASHBOARD_TOKEN": token}
    proc = subprocess.Popen([sys.executable, "-m", "postloan.cli", "serve", "--port", str(port),
                             "--outputs", str(published_run.parent.parent), *args],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.3)
    proc.kill()
    pytest.fail("voila did not start within 90 s")


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright
    from postloan.run.export import CHROMIUM_FLAGS, find_chromium
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS[1:])
        yield b
        b.close()


OUTPUT_JS = "(document.querySelector('.widget-output') || {innerText: ''}).innerText"


def _wait_text(page, text: str, timeout: float = 90):
    """Wait until `text` shows in the page (selectors included)."""
    page.wait_for_function("t => document.body && document.body.innerText.includes(t)", arg=text,
                           timeout=timeout * 1000)


def _wait_view(page, text: str, timeout: float = 60) -> str:
    """Wait until the dashboard's view (the area under the selectors) shows `text`; its text."""
    page.wait_for_function(f"t => {OUTPUT_JS}.includes(t)", arg=text, timeout=timeout * 1000)
    return page.evaluate(f"() => {OUTPUT_JS}")


def _open(browser, url: str, wait_text: str, shot: str | None = None):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(url, wait_until="commit", timeout=90000)
    _wait_text(page, wait_text)
    if shot:
        page.screenshot(path=str(ARTIFACTS / shot))
    return page


def _no_leaks(page) -> str:
    body = page.inner_text("body")
    for leak in LEAKS:
        assert leak not in body, leak
    return body


def _url(server, notebook: str, query: str = "") -> str:
    return f"{server}/voila/render/{notebook}.ipynb?token={TOKEN}" + (f"&{query}" if query else "")


def test_landing_page_lists_the_published_run(browser, server, published_run):
    page = _open(browser, _url(server, "index"), "已发布结果", "landing.png")
    body = _no_leaks(page)
    year, month = published_run.parent.name.split("-")
    assert published_run.name in body and f"{year} 年 {int(month)} 月" in body and "杭州分行" in body
    for label in ("贷后管理例会材料", "贷后管理考核评价", "贷后管理工作责任追究"):
        assert label in body


def test_meeting_pack_shows_the_published_figures_and_follows_the_scope(browser, server, published_run):
    figures = json.loads((published_run / "meeting_pack" / "all.json").read_text(encoding="utf-8"))
    page = _open(browser, _url(server, "meeting_pack"), "全行 贷后管理例会材料（", "meeting_pack_all.png")
    body = _no_leaks(page)
    assert "贷后管理例会材料 · 仪表板" in body
    assert _money_yi(figures["total_balance"]) in body and _pct(figures["npl_ratio"]) in body
    b100 = json.loads((published_run / "meeting_pack" / "B100.json").read_text(encoding="utf-8"))
    assert b100["total_balance"] != figures["total_balance"]
    page.locator("select").nth(1).select_option(label="杭州分行")
    view = _wait_view(page, "杭州分行 贷后管理例会材料（")
    _no_leaks(page)
    assert _money_yi(b100["total_balance"]) in view and _pct(b100["npl_ratio"]) in view
    assert "全行 贷后管理例会材料（" not in view
    page.screenshot(path=str(ARTIFACTS / "meeting_pack_B100.png"))
    # the branch's full lists, as published, offered as a download on its own view
    with page.expect_download(timeout=30000) as got:
        page.get_by_text("下载本范围的全部明细").click()
    download = got.value
    assert download.suggested_filename == "B100_明细表.xlsx"
    assert Path(download.path()).read_bytes() == (published_run / "meeting_pack" / "B100_明细表.xlsx").read_bytes()


def test_scorecards_ranking_and_an_officer_page_match_the_figures(browser, server, published_run):
    sc = json.loads((published_run / "scorecards" / "all.json").read_text(encoding="utf-8"))
    rated = [o for o in sc["officers"] if o["total_score"] is not None]
    best = max(rated, key=lambda o: o["total_score"])
    page = _open(browser, _url(server, "scorecards"), "排名表", "scorecards_all.png")
    body = _no_leaks(page)
    # a monthly run: scores as 过程监测, no grades or ranks (scorecard_policy.yaml rating.graded_periods)
    assert f"参与监测的客户经理 {len(sc['officers'])} 人" in body and "过程监测" in body
    assert f"{best['total_score']:.2f}" in body
    # the officer selector: the officer's own page, score and grade as in the JSON
    page.locator("select").nth(2).select_option(label=f"{best['name']}（{best['officer_id']}）")
    view = _wait_view(page, f"{best['name']}（{best['officer_id']}）")
    _no_leaks(page)
    assert f"{best['total_score']:.2f}" in view and "同类中位数" in view and "排名表" not in view
    page.screenshot(path=str(ARTIFACTS / "scorecards_officer.png"))
    # the same page straight from the query string
    other = rated[0]
    page = _open(browser, _url(server, "scorecards", f"officer={other['officer_id']}"), "客户经理")
    view = _wait_view(page, f"{other['name']}（{other['officer_id']}）")
    assert f"{other['total_score']:.2f}" in view and "排名表" not in view
    _no_leaks(page)


def test_accountability_register_and_a_case_file(browser, server, published_run):
    review = json.loads((published_run / "accountability" / "all.json").read_text(encoding="utf-8"))
    page = _open(browser, _url(server, "accountability"), "责任认定建议稿", "accountability_all.png")
    body = _no_leaks(page)
    assert f"本期纳入责任认定的案件 {review['cases']} 笔，梳理出失职事项 {review['lapses']} 项" in body
    case = review["determinations"][0]["case_id"]
    page.locator("select").nth(2).select_option(label=case)
    view = _wait_view(page, f"{case} 责任认定案卷")
    _no_leaks(page)
    assert "案件登记簿" not in view and "责任认定建议（待委员会审定）" in view
    page.screenshot(path=str(ARTIFACTS / "accountability_case.png"))


def test_workout_register_and_a_case_file_by_selector_and_by_link(browser, server, published_run):
    book = json.loads((published_run / "workout" / "all.json").read_text(encoding="utf-8"))
    page = _open(browser, _url(server, "workout"), "处置路径比较", "workout_all.png")
    body = _no_leaks(page)
    assert f"纳入清收处置的案件 {book['workout_cases']} 笔" in body and "估值假设" in body
    case = book["case_ids"][0]
    page.locator("select").nth(2).select_option(label=case)
    view = _wait_view(page, f"借据 {case}")
    _no_leaks(page)
    assert "催收动作" in view and "处置路径比较" in view and "催收队列" not in view
    page.screenshot(path=str(ARTIFACTS / "workout_case.png"))
    page = _open(browser, _url(server, "workout", f"case={case}"), f"借据 {case}")
    assert "可行法律路径" in _no_leaks(page)
    page = _open(browser, _url(server, "workout", "case=L99999999"), "无法显示")
    assert "invalid_value" in _no_leaks(page)


@pytest.mark.parametrize("query", ["evil=1", "scope=__import__('os').system('id')", "period=../../etc/passwd",
                                   "scope=..%2F..%2Fetc", "scope=B100&scope=B200", "officer=<script>alert(1)</script>",
                                   "period=2026-10%0Aimport%20os"])
def test_crafted_query_strings_change_nothing_and_reveal_nothing(browser, server, query, published_run):
    figures = json.loads((published_run / "meeting_pack" / "all.json").read_text(encoding="utf-8"))
    page = _open(browser, _url(server, "meeting_pack", query), "无法显示")
    body = _no_leaks(page)
    assert "(" in body and ")" in body                     # the English code beside the Chinese message
    assert _money_yi(figures["total_balance"]) not in body and "/etc" not in body and "root:" not in body
    if query == "evil=1":
        page.screenshot(path=str(ARTIFACTS / "crafted_query.png"))


def test_unknown_officer_or_case_is_refused(browser, server):
    page = _open(browser, _url(server, "scorecards", "officer=E99999"), "无法显示")
    assert "invalid_value" in _no_leaks(page)
    page = _open(browser, _url(server, "accountability", "case=../../manifest"), "无法显示")
    assert "invalid_value" in _no_leaks(page)


def test_requests_without_the_token_are_refused_and_sources_are_not_served(browser, server):
    page = browser.new_page()
    page.goto(f"{server}/voila/render/meeting_pack.ipynb", timeout=60000)
    assert "/login" in page.url
    body = page.inner_text("body")
    assert "贷后管理例会材料" not in body
    # a Chinese page that says a link with a token (or the bank's sign-in) is needed; nothing about Jupyter
    assert "需要登录" in body and "令牌" in body and "jupyter" not in page.content().lower()
    page.screenshot(path=str(ARTIFACTS / "no_token.png"))
    for path in ("/voila/files/meeting_pack.ipynb", "/voila/files/../../parameters/policy.yaml",
                 "/api/contents", "/voila/api/contents", "/voila/tree", "/api/kernels", "/files/meeting_pack.ipynb",
                 "/voila/render/../scorecards.ipynb", "/voila/render/%2E%2E/scorecards.ipynb",
                 "/voila/render/..%2Fmeeting_pack.ipynb", "/voila/files/../../data/sample_bank.duckdb"):
        req = urllib.request.Request(f"{server}{path}?token={TOKEN}")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                text = r.read().decode("utf-8", "replace")
                assert "dashboard(" not in text and "from postloan" not in text and "classification" not in text, path
                assert "个人考核评价表" not in text and "resolve_run_dir" not in text, path     # no workbook executed
        except urllib.error.HTTPError as exc:
            assert exc.code in (403, 404, 405), (path, exc.code)


def test_the_kernel_refuses_execute_requests_from_the_page(browser, server, tmp_path):
    """Only widget (comm) messages reach a dashboard's kernel: code sent over its websocket is not run."""
    page = _open(browser, _url(server, "meeting_pack"), "全行 贷后管理例会材料（")
    html = page.content()
    assert "from postloan" not in html and "dashboard(" not in html          # sources stripped
    marker = tmp_path / "executed"
    kernel_id = page.evaluate("() => { const m = document.documentElement.innerHTML.match("
                              "/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/); return m && m[0]; }")
    assert kernel_id, "no kernel id in the page"
    result = page.evaluate("""async ([server, token, kid, code]) => {
        const ws = new WebSocket(server.replace('http', 'ws') + '/api/kernels/' + kid + '/channels?token=' + token);
        const replies = [];
        await new Promise((ok, bad) => { ws.onopen = ok; ws.onerror = bad; setTimeout(ok, 5000); });
        ws.onmessage = (e) => replies.push(typeof e.data === 'string' ? JSON.parse(e.data).msg_type : 'binary');
        const send = (id, type, content) => ws.send(JSON.stringify({
            header: {msg_id: id, msg_type: type, username: 'u', session: 's1', date: new Date().toISOString(),
                     version: '5.3'}, parent_header: {}, metadata: {}, channel: 'shell', content: content}));
        send('x1', 'execute_request', {code: code, silent: false, store_history: false, user_expressions: {},
                                       allow_stdin: false, stop_on_error: true});
        send('x2', 'kernel_info_request', {});
        await new Promise(r => setTimeout(r, 4000));
        ws.close();
        return replies;
    }""", [server, TOKEN, kernel_id, f"open({str(marker)!r}, 'w').write('x')"])
    assert "kernel_info_reply" in result           # the channel was live: the allowed request was answered
    assert "execute_reply" not in result
    assert not marker.exists()


def test_kernels_of_closed_pages_are_reclaimed(browser, published_run):
    """The served command culls idle kernels (900 s; here 4 s so the test is short): a page
    opened and closed leaves no kernel behind."""
    log_path = ARTIFACTS / "voila-cull.log"
    with open(log_path, "w") as log:
        proc, base = _start_voila(published_run, log, "--no-preheat", "--cull-idle", "4", "--cull-interval", "2")
        try:
            page = _open(browser, _url(base, "index"), "已发布结果")
            page.close()
            deadline = time.time() + 60
            while time.time() < deadline:
                text = log_path.read_text(encoding="utf-8", errors="replace")
                if 1 <= text.count("Kernel started") <= text.count("Kernel shutdown"):
                    break
                time.sleep(1)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    text = log_path.read_text(encoding="utf-8", errors="replace")
    started = text.count("Kernel started")
    stopped = text.count("Kernel shutdown")
    assert started >= 1 and stopped >= started, text[-2000:]        # every kernel of the closed page is gone
