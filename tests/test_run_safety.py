"""A run under stress: two at once, killed politely or not, pointed at a database with a
password, and printing a page that tries to run script and call out."""
from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import PG_URL, require_server


def _run_cmd(source, out, *extra):
    return [sys.executable, "-m", "postloan.cli", "run", "--source", str(source), "--out", str(out),
            "--products", "meeting_pack", "--scopes", "all", "--no-pdf", *extra]


def test_two_runs_started_together_both_publish(sample_duckdb, tmp_path):
    out = tmp_path / "out"
    procs = [subprocess.Popen(_run_cmd(sample_duckdb, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    runs = sorted(out.glob("*/run-*"))
    assert len(runs) == 2 and all((r / "manifest.json").exists() for r in runs)
    assert not list(out.glob(".tmp-*"))


def test_sigterm_removes_the_temporary_folder_and_kill_9_leftovers_are_cleaned_next_time(sample_duckdb, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen(_run_cmd(sample_duckdb, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while time.time() < deadline and not list(out.glob(".tmp-*")):
        time.sleep(0.2)
    assert list(out.glob(".tmp-*")), "the run never made its temporary folder"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "interrupted" in err, err
    assert not list(out.glob(".tmp-*")) and not list(out.glob("*/run-*"))
    # kill -9: nothing can clean up, so the next run of the month does, and says so
    proc = subprocess.Popen(_run_cmd(sample_duckdb, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while time.time() < deadline and not list(out.glob(".tmp-*")):
        time.sleep(0.2)
    proc.kill()
    proc.wait(timeout=60)
    left = list(out.glob(".tmp-*"))
    assert left
    done = subprocess.run(_run_cmd(sample_duckdb, out), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "abandoned_tmp_removed" in done.stdout and str(left[0]) in done.stdout
    assert not list(out.glob(".tmp-*")) and len(list(out.glob("*/run-*"))) == 1


@pytest.mark.server
def test_the_database_password_is_in_no_line_and_no_manifest(sample_tables, tmp_path):
    require_server(PG_URL)
    import sqlalchemy as sa
    from postloan.sample import writers
    with sa.create_engine(PG_URL).begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS pwtest CASCADE"))      # left by an earlier run, owned by the role
        conn.execute(sa.text("DROP ROLE IF EXISTS postloan_pw_test"))
        conn.execute(sa.text("CREATE ROLE postloan_pw_test LOGIN PASSWORD 's3cret-Passw0rd'"))
        conn.execute(sa.text("CREATE SCHEMA pwtest AUTHORIZATION postloan_pw_test"))
    writers.write_sql(sample_tables, PG_URL, schema="pwtest", overwrite=True)
    with sa.create_engine(PG_URL).begin() as conn:
        conn.execute(sa.text("GRANT USAGE ON SCHEMA pwtest TO postloan_pw_test"))
        conn.execute(sa.text("GRANT SELECT ON ALL TABLES IN SCHEMA pwtest TO postloan_pw_test"))
    url = PG_URL.replace("postgres@", "postloan_pw_test:s3cret-Passw0rd@")
    out = tmp_path / "out"
    done = subprocess.run(_run_cmd(url, out, "--schema", "pwtest"), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "s3cret-Passw0rd" not in done.stdout + done.stderr
    manifest = next(out.glob("*/run-*/manifest.json")).read_text(encoding="utf-8")
    assert "s3cret-Passw0rd" not in manifest and "postloan_pw_test" in manifest


def test_printing_runs_no_script_and_reaches_no_network(tmp_path):
    from postloan.run.export import ExportError, find_chromium, print_pdfs
    try:
        find_chromium()
    except ExportError as exc:
        pytest.skip(str(exc))
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"x")

        def log_message(self, *args):
            pass
    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    port = srv.server_address[1]
    page = tmp_path / "page.html"        # no CSP of ours here: the printer itself must hold
    page.write_text(f'<html><body><p>STATIC</p><img src="http://127.0.0.1:{port}/img">'
                    f'<link rel="stylesheet" href="http://127.0.0.1:{port}/css">'
                    f'<script>document.body.innerHTML += "<p>SCRIPTRAN</p>"; fetch("http://127.0.0.1:{port}/fetch")</script>'
                    f'<img src=x onerror="document.body.innerHTML += \'<p>HANDLERRAN</p>\'"></body></html>',
                    encoding="utf-8")
    print_pdfs([(page, tmp_path / "page.pdf")])
    srv.shutdown()
    text = subprocess.run(["pdftotext", str(tmp_path / "page.pdf"), "-"], capture_output=True, text=True).stdout
    assert "STATIC" in text and "SCRIPTRAN" not in text and "HANDLERRAN" not in text
    assert hits == []
