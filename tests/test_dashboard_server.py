"""The dashboard server against an attacker and a careless operator: kernels freed and capped,
signals obeyed, the token kept out of `ps`, logs and the query socket, per-user access and
the audit trail. Real `postloan serve`, real headless Chromium."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from test_dashboards import ARTIFACTS, TOKEN, _free_port, _open, _start_voila, _url, _wait_view, browser, server  # noqa: F401

# one preheated kernel per dashboard notebook (the landing page and one per product)
POOL = len(list((Path(__file__).resolve().parents[1] / "workbooks" / "dashboards").glob("*.ipynb")))


def _kernels(proc) -> list[tuple[int, int]]:
    """(pid, RSS in kB) of the server's kernel processes."""
    out = subprocess.run(["ps", "--ppid", str(proc.pid), "-o", "pid=,rss=,args="], capture_output=True, text=True).stdout
    return [(int(p), int(r)) for p, r, *args in (line.split(None, 2) for line in out.splitlines())
            if args and "ipykernel" in args[0]]


def _wait(cond, timeout=60, step=0.5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


@pytest.fixture
def own_server(published_run, tmp_path):
    """A server of the test's own (started with extra options), stopped at the end."""
    started = []

    def start(*args, **kw):
        log = open(tmp_path / f"serve-{len(started)}.log", "w")
        proc, base = _start_voila(published_run, log, *args, **kw)
        started.append(proc)
        assert _wait(lambda: len(_kernels(proc)) >= POOL or "--no-preheat" in args, 90)
        return proc, base, tmp_path / f"serve-{len(started) - 1}.log"
    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)


def test_closing_pages_frees_their_kernels(browser, own_server):  # noqa: F811
    """Ten pages opened and closed: the kernels go back to the preheated pool (Voila's shutdown
    beacon is accepted now that the page carries the _xsrf cookie), long before any culling."""
    proc, base, log = own_server()
    before = _kernels(proc)
    peak = before
    for _ in range(10):
        page = _open(browser, _url(base, "meeting_pack"), "全行 贷后管理例会材料（")
        peak = max(peak, _kernels(proc), key=len)
        page.goto("about:blank")          # leaving the page fires its beforeunload beacon, as closing a tab does
        page.close()
    assert _wait(lambda: len(_kernels(proc)) == POOL, 60), (len(_kernels(proc)), log.read_text()[-3000:])
    after = _kernels(proc)
    report = {"pool": len(before), "kernels_after_10_closed": len(after), "peak_kernels": len(peak),
              "rss_mb_before": round(sum(r for _, r in before) / 1024), "rss_mb_after": round(sum(r for _, r in after) / 1024)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "kernels_after_closing.json").write_text(json.dumps(report), encoding="utf-8")
    print("kernels:", report)
    def shutdown_lines():
        return [line for line in log.read_text().splitlines() if "/voila/api/shutdown/" in line]
    _wait(lambda: len(shutdown_lines()) >= 10, 20)
    shutdowns = shutdown_lines()
    assert len(shutdowns) == 10 and all(" 204 POST " in f" {line.split('] ', 1)[-1]}" for line in shutdowns), shutdowns


def test_kernel_cap_gives_a_chinese_page_not_a_kernel(browser, own_server):  # noqa: F811
    proc, base, _ = own_server("--max-kernels", str(POOL + 1))
    first = _open(browser, _url(base, "meeting_pack"), "全行 贷后管理例会材料（")     # takes a pool kernel; the pool refills
    assert _wait(lambda: len(_kernels(proc)) == POOL + 1)
    second = browser.new_page()
    response = second.goto(_url(base, "meeting_pack"), timeout=60000)
    assert response.status == 503
    assert "仪表板暂时无法打开" in second.inner_text("body") and "too_many_kernels" in second.inner_text("body")
    time.sleep(2)
    assert len(_kernels(proc)) == POOL + 1                      # no kernel was started for the refused page
    first.goto("about:blank")
    first.close()
    second.close()


def test_sigterm_stops_the_server_and_every_kernel_and_a_taken_port_is_refused(browser, own_server, published_run,  # noqa: F811
                                                                                 tmp_path):
    proc, base, log = own_server()
    page = _open(browser, _url(base, "meeting_pack"), "全行 贷后管理例会材料（")
    kernels = [pid for pid, _ in _kernels(proc)]
    assert len(kernels) >= POOL
    port = int(base.rsplit(":", 1)[1])
    # a second server on the same port says so and exits, instead of binding another port
    second = subprocess.run([sys.executable, "-m", "postloan.cli", "serve", "--port", str(port), "--outputs",
                             str(published_run.parent.parent)], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "POSTLOAN_DASHBOARD_TOKEN": "another-token-1234567"})
    assert second.returncode == 2 and "port_in_use" in second.stderr
    page.close()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    assert _wait(lambda: not any(os.path.exists(f"/proc/{pid}") for pid in kernels), 30), "kernels outlived the server"
    import socket
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))                                # nobody listens on the port any more


def test_the_token_is_not_on_the_command_line_in_the_log_or_on_the_query_socket(own_server):
    proc, base, log = own_server()
    cmdline = open(f"/proc/{proc.pid}/cmdline", "rb").read().decode()
    assert TOKEN not in cmdline
    for kernel, _ in _kernels(proc):                             # the kernels do not inherit it either
        assert TOKEN not in open(f"/proc/{kernel}/environ", "rb").read().decode(errors="replace")
    with urllib.request.urlopen(f"{base}/voila/render/index.ipynb?token={TOKEN}", timeout=60) as r:
        csp = r.headers["Content-Security-Policy"]
    assert "script-src-attr 'none'" in csp and "default-src 'self'" in csp and "connect-src 'self'" in csp
    for path in ("/voila/render/nothing.ipynb", "/voila/files/../x", "/voila/api/shutdown/abc"):
        try:
            urllib.request.urlopen(f"{base}{path}?token={TOKEN}", timeout=10)
        except urllib.error.HTTPError:
            pass
    time.sleep(1)
    assert TOKEN not in log.read_text()
    # the request-info socket refuses a browser, even one holding the token
    kernel_id = "00000000-0000-0000-0000-000000000000"
    import websockets

    async def try_socket():
        url = base.replace("http", "ws") + f"/voila/query/{kernel_id}?token={TOKEN}"
        try:
            async with websockets.connect(url, open_timeout=10,
                                          additional_headers={"Authorization": f"token {TOKEN}"}) as ws:
                return await asyncio.wait_for(ws.recv(), 3)
        except websockets.exceptions.InvalidStatus as exc:
            return exc.response.status_code
        except Exception as exc:
            return type(exc).__name__
    from concurrent.futures import ThreadPoolExecutor      # its own loop: Playwright's sync API holds this thread's
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, try_socket()).result() == 403


def _access_file(tmp_path, published_run) -> tuple:
    """An access.yaml with one user per role; (path, {user: token})."""
    import hashlib
    import yaml
    officers = json.loads((published_run / "scorecards" / "B100.json").read_text(encoding="utf-8"))["officers"]
    me = officers[0]["officer_id"]
    tokens = {u: f"{u}-token-0123456789abcdef" for u in ("boss", "head100", "hr", "officer")}
    h = {u: hashlib.sha256(t.encode()).hexdigest() for u, t in tokens.items()}
    data = {
        "roles": {"management": {"name": "管理层", "products": ["meeting_pack", "scorecards", "accountability", "workout"]},
                  "branch_head": {"name": "分行负责人", "products": ["meeting_pack", "scorecards", "workout"]},
                  "hr": {"name": "考核人员", "products": ["scorecards", "accountability"]},
                  "officer": {"name": "客户经理", "products": ["scorecards"], "own_page_only": True}},
        "users": [{"id": "boss", "name": "行长", "role": "management", "token_sha256": h["boss"]},
                  {"id": "head100", "name": "杭州分行负责人", "role": "branch_head", "scopes": ["B100"],
                   "token_sha256": h["head100"]},
                  {"id": "hr", "name": "人力", "role": "hr", "token_sha256": h["hr"]},
                  {"id": "officer", "name": "客户经理", "role": "officer", "scopes": ["B100"], "officer_id": me,
                   "token_sha256": h["officer"]}]}
    path = tmp_path / "access.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path, tokens, me, officers


def _user_url(base, token, notebook, query=""):
    return f"{base}/voila/render/{notebook}.ipynb?token={token}" + (f"&{query}" if query else "")


def test_per_user_access_and_the_audit_log(browser, own_server, published_run, tmp_path):  # noqa: F811
    access, tokens, me, officers = _access_file(tmp_path, published_run)
    proc, base, _ = own_server("--access", str(access))
    audit = published_run.parent.parent / ".audit" / "dashboard-views.jsonl"
    lines_before = len(audit.read_text(encoding="utf-8").splitlines()) if audit.exists() else 0
    # the shared test token is no key any more
    page = browser.new_page()
    page.goto(_url(base, "meeting_pack"), timeout=60000)
    assert "贷后管理例会材料（" not in page.inner_text("body")
    page.close()
    # an officer sees their own page only: not the ranking, not a colleague, not the meeting pack
    other = next(o for o in officers if o["officer_id"] != me)
    page = _open(browser, _user_url(base, tokens["officer"], "scorecards", "scope=B100"), "客户经理")
    view = _wait_view(page, f"（{me}）")
    assert "排名表" not in view and other["name"] + "（" not in view
    options = page.locator("select").nth(2).inner_text()
    assert me in options and other["officer_id"] not in options
    page.close()
    for query in (f"scope=B100&officer={other['officer_id']}", "scope=all"):
        page = _open(browser, _user_url(base, tokens["officer"], "scorecards", query), "无法显示")
        assert other["name"] + "（" not in page.inner_text("body")
        page.close()
    page = _open(browser, _user_url(base, tokens["officer"], "scorecards", "scope=B100&_user=boss"), "客户经理")
    view = _wait_view(page, f"（{me}）")            # the user id the browser sends is dropped by the server
    assert "排名表" not in view
    page.close()
    page = _open(browser, _user_url(base, tokens["officer"], "meeting_pack"), "无法显示")
    page.close()
    # a branch head: their branch, not another one by link, nor by the selector's options
    page = _open(browser, _user_url(base, tokens["head100"], "meeting_pack"), "杭州分行 贷后管理例会材料（")
    scopes = page.locator("select").nth(1).inner_text()
    assert "杭州分行" in scopes and "全行" not in scopes and "宁波分行" not in scopes
    page.close()
    for query in ("scope=B200", "scope=all"):
        page = _open(browser, _user_url(base, tokens["head100"], "meeting_pack", query), "无法显示")
        assert "宁波分行 贷后管理例会材料" not in page.inner_text("body")
        page.close()
    # a branch head opens their branch's workout book, not the bank's
    page = _open(browser, _user_url(base, tokens["head100"], "workout"), "处置路径比较")
    assert "杭州分行" in page.inner_text("body")
    page.close()
    page = _open(browser, _user_url(base, tokens["head100"], "workout", "scope=all"), "无法显示")
    page.close()
    # HR: scorecards and the review, neither the meeting pack nor the workout book
    for product in ("meeting_pack", "workout"):
        page = _open(browser, _user_url(base, tokens["hr"], product), "无法显示")
        assert "处置路径比较" not in page.inner_text("body") and "贷后管理例会材料（" not in page.inner_text("body")
        page.close()
    page = _open(browser, _user_url(base, tokens["hr"], "accountability"), "责任认定建议稿")
    page.close()
    # management: everything
    page = _open(browser, _user_url(base, tokens["boss"], "meeting_pack"), "全行 贷后管理例会材料（")
    page.close()
    # one audit line per view served, with the user
    time.sleep(1)
    lines = [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()[lines_before:]]
    seen = {(r["user"], r["product"], r["scope"], r["item"]) for r in lines}
    assert ("officer", "scorecards", "B100", me) in seen
    assert ("head100", "meeting_pack", "B100", None) in seen and ("head100", "workout", "B100", None) in seen
    assert not any(r["user"] == "hr" and r["product"] in ("meeting_pack", "workout") for r in lines)
    assert ("hr", "accountability", "all", None) in seen and ("boss", "meeting_pack", "all", None) in seen
    assert not any(r["user"] == "officer" and r["item"] != me for r in lines)
    assert not any(r["user"] == "head100" and r["scope"] != "B100" for r in lines)


def test_a_crafted_widget_message_gets_no_traceback(published_run):
    """A Dropdown `index` out of range sent over the kernel's websocket: the reply carries
    无法显示 and no traceback or package path (a kernel driven directly, as Voila would)."""
    from jupyter_client.manager import start_new_kernel
    env = {**os.environ, "POSTLOAN_OUTPUTS": str(published_run.parent.parent), "QUERY_STRING": ""}
    km, kc = start_new_kernel(kernel_name="python3", env=env)
    try:
        dropdowns = []

        def opened(msg):      # the comm_open messages of the widgets created by the cell
            if msg["msg_type"] == "comm_open" and msg["content"]["data"]["state"].get("_model_name") == "DropdownModel":
                dropdowns.append(msg["content"]["comm_id"])
        kc.execute_interactive("from postloan.dashboards.app import dashboard\ndashboard('meeting_pack')", timeout=120,
                               output_hook=opened)
        assert dropdowns
        seen = []
        for comm_id in dropdowns:
            kc.session.send(kc.shell_channel.socket, "comm_msg",
                            {"comm_id": comm_id, "data": {"method": "update", "state": {"index": 999}, "buffer_paths": []}})
        deadline = time.time() + 8
        while time.time() < deadline:
            try:
                seen.append(json.dumps(kc.get_iopub_msg(timeout=1)["content"], ensure_ascii=False))
            except Exception:
                pass
        text = "\n".join(seen)
        assert "Traceback" not in text and ".py" not in text and "TraitError" not in text, text[:2000]
        assert "无法显示" in text
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
