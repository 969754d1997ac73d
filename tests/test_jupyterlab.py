"""What analysts are promised: `jupyter lab` starts, and each workbook opened through its REST
API runs in a kernel of that server, says what it shows, and draws its pages. The server's
outputs and sample bank are the test session's (conftest), so nothing is written to the checkout."""
from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "lab-test-token-0123456789"
WORKBOOKS = {"meeting_pack": "贷后管理例会材料", "scorecards": "排名表", "accountability": "责任认定建议稿",
             "workout": "处置路径比较"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, published_run):
    port = _free_port()
    log = open(tmp_path_factory.mktemp("lab") / "lab.log", "w")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", f"--port={port}",
                             "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
                             f"--ServerApp.root_dir={ROOT / 'workbooks'}", "--ServerApp.port_retries=0", "--allow-root"],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ}, cwd=ROOT / "workbooks")
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.terminate()
        pytest.fail("jupyter lab did not start: " + Path(log.name).read_text()[-2000:])
    yield base
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def _api(base, path, method="GET", body=None):
    req = urllib.request.Request(f"{base}{path}", method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"null")


async def _run_cells(base: str, kernel_id: str, cells: list[str]) -> list[dict]:
    """Execute the code cells in the server's kernel over its websocket, as the Lab front end does."""
    import websockets
    url = base.replace("http", "ws") + f"/api/kernels/{kernel_id}/channels?token={TOKEN}"
    outputs = []
    async with websockets.connect(url, max_size=None, open_timeout=30) as ws:
        for code in cells:
            msg_id = uuid.uuid4().hex
            await ws.send(json.dumps({"header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                                                 "session": uuid.uuid4().hex, "version": "5.3"},
                                      "parent_header": {}, "metadata": {}, "channel": "shell",
                                      "content": {"code": code, "silent": False, "store_history": True,
                                                  "user_expressions": {}, "allow_stdin": False}}))
            while True:
                reply = json.loads(await asyncio.wait_for(ws.recv(), 300))
                if reply.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = reply["msg_type"]
                if kind in ("display_data", "execute_result", "stream", "error"):
                    outputs.append(reply)
                if kind == "execute_reply":
                    assert reply["content"]["status"] == "ok", reply["content"]
                    break
    return outputs


def test_jupyterlab_opens_and_runs_every_workbook(lab):
    assert urllib.request.urlopen(f"{lab}/lab?token={TOKEN}", timeout=30).status == 200      # the Lab page itself
    for name, expected in WORKBOOKS.items():
        nb = _api(lab, f"/api/contents/{name}.ipynb?content=1")["content"]         # opened through the REST API
        assert "workbench-only" in nb["cells"][0]["metadata"].get("tags", [])
        assert nb["cells"][0]["source"].startswith("#")                             # a visible first cell
        kernel = _api(lab, "/api/kernels", "POST", {"name": "python3"})
        try:
            code = [c["source"] for c in nb["cells"] if c["cell_type"] == "code"]
            outputs = asyncio.run(_run_cells(lab, kernel["id"], code))
        finally:
            _api(lab, f"/api/kernels/{kernel['id']}", "DELETE")
        html = "".join(o["content"].get("data", {}).get("text/html", "") for o in outputs)
        assert "本页显示：" in html, name          # says which published run or which on-the-fly marts it shows
        assert expected in html, name
        assert not [o for o in outputs if o["msg_type"] == "error"], name
