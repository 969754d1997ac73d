"""One Chromium for a run (postloan.run.print_service): a forked writer's pages print in the main
process's printer, each side waits for its own pages, and a failure reaches the side whose page
failed without leaving anyone waiting."""
from __future__ import annotations

import multiprocessing as mp
import subprocess

import pytest

from postloan.run.export import page_html
from postloan.run.print_service import PrintService

pytestmark = [pytest.mark.slow, pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="needs fork")]


def _page(folder, name):
    path = folder / f"{name}.html"
    path.write_text(page_html(name, f"<h1>{name} 页</h1>"), encoding="utf-8")
    return path


def _text(pdf) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _child(service, k, pages, send):
    """A forked writer: print its pages through the service, report the outcome."""
    printer = service.remote(k)
    try:
        for p in pages:
            printer.submit(p, p.with_suffix(".pdf"))
        printer.finish()
        send.send("ok")
    except Exception as exc:                   # noqa: BLE001 (the test reads the message)
        send.send(f"{type(exc).__name__}: {exc}")


def _fork(service, k, pages):
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(service, k, pages, send), daemon=True)
    proc.start()
    return proc, recv


def test_a_forked_writer_s_pages_print_in_the_run_s_printer(tmp_path):
    service = PrintService(children=2)
    mine = [_page(tmp_path, f"A{k}") for k in range(3)]
    theirs = [_page(tmp_path, f"B{k}") for k in range(4)]
    proc, recv = _fork(service, 1, theirs)            # forked before the service starts, as in a run
    service.start()
    try:
        handle = service.handle()
        for p in mine:
            handle.submit(p, p.with_suffix(".pdf"))
        handle.finish()
        assert recv.recv() == "ok"
        proc.join(30)
        service.close()
    except BaseException:
        service.abandon()
        raise
    for p in mine + theirs:
        assert f"{p.stem} 页" in _text(p.with_suffix(".pdf"))


def test_a_page_that_fails_is_reported_to_its_writer_and_nobody_is_left_waiting(tmp_path):
    service = PrintService(children=2)
    missing = tmp_path / "gone.html"                  # never written: its print fails
    proc, recv = _fork(service, 0, [_page(tmp_path, "C0"), missing])
    service.start()
    try:
        assert recv.poll(120), "the writer was left waiting"
        message = recv.recv()
        assert message.startswith("ExportError") and "pdf_failed" in message and "gone.html" in message
        handle = service.handle()                     # the run's own pages fail from then on, at once
        with pytest.raises(Exception, match="gone.html"):
            handle.submit(_page(tmp_path, "D0"), tmp_path / "D0.pdf")
            handle.finish()
    finally:
        service.abandon()
        proc.join(30)
    assert not proc.is_alive()
