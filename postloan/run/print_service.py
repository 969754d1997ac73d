"""One Chromium for a whole run: the workbook pages and every book's chunks print through it.

A Chromium (browser, GPU and network processes, one renderer per tab) and the Playwright
driver that steers it hold about 450 MB. A run that let the main process and each forked
scope-file writer start its own held three at once (1.4 GB of the medium bank's 2.3 GB peak)
and printed six pages at a time on two cores. Here the main process owns the run's one
`BackgroundPrinter`; a forked writer sends its pages over a pipe (`RemotePrinter`) and waits
for its own, and a relay thread in the main process hands them on.

    service = PrintService(children=2)      # before the writers fork: they inherit its pipes
    ...fork...
    service.start()                         # after: the printer and the relay start here only
    handle = service.handle()               # in the main process (or a writer thread)
    printer = service.remote(k)             # in forked writer k
    printer.submit(html, pdf); printer.finish()   # waits for that handle's own pages
    service.close()                         # or service.abandon() when the run fails
"""
from __future__ import annotations

import multiprocessing as mp
import threading
from pathlib import Path

from postloan.run.export import PDF_WORKERS, BackgroundPrinter, ExportError


class PrintHandle:
    """A share of the service's printer: submits pages to it and waits for its own only. The
    printer is looked up at each call, so a handle made before `start` (a writer thread that
    starts with the fork) prints once the service has started."""

    def __init__(self, service: "PrintService"):
        self.service = service
        self.cond = threading.Condition()
        self.pending = 0
        self.error: BaseException | None = None

    def submit(self, html_path: Path, pdf_path: Path) -> None:
        with self.cond:
            if self.error is not None:
                raise self.error
            self.pending += 1
        try:
            printer = self.service.printer
            if printer is None:
                raise ExportError("PDF 打印服务未启动或已停止 (pdf_failed)")
            printer.submit(html_path, pdf_path, done=self._done)
        except BaseException as exc:
            self._done(exc)
            raise

    def _done(self, outcome) -> None:
        with self.cond:
            self.pending -= 1
            if outcome is not None and self.error is None:
                self.error = outcome
            self.cond.notify_all()

    def finish(self) -> None:
        """Wait until every page submitted here is printed; raise the first failure."""
        with self.cond:
            while self.pending and self.error is None:
                printer = self.service.printer
                if not self.cond.wait(timeout=1.0) and (printer is None or not printer.thread.is_alive()):
                    if self.pending and self.error is None:      # the printer ended without telling
                        self.error = printer.errors[0] if printer is not None and printer.errors else \
                            ExportError("PDF 打印进程已结束 (pdf_failed)")
            if self.error is not None:
                raise self.error

    def abandon(self) -> None:
        """Nothing to stop: the service's owner stops the printer."""


class RemotePrinter:
    """In a forked writer: its pages go to the run's printer in the main process."""

    def __init__(self, requests, replies, k: int):
        self.requests, self.replies, self.k = requests, replies, k

    def submit(self, html_path: Path, pdf_path: Path) -> None:
        self.requests.put((self.k, str(html_path), str(pdf_path)))

    def finish(self) -> None:
        self.requests.put((self.k, None, None))
        failure = self.replies.get()
        if failure is not None:
            raise ExportError(failure)

    def abandon(self) -> None:
        """Nothing to stop here: the main process stops the printer (a failed run ends this process)."""


class PrintService:
    def __init__(self, children: int = 2, workers: int | None = None):
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        self.requests = ctx.Queue()
        self.replies = [ctx.Queue() for _ in range(children)]
        self.workers = workers
        self.printer: BackgroundPrinter | None = None
        self._relay: threading.Thread | None = None

    def start(self) -> None:
        """In the main process, after the writers forked."""
        self.printer = BackgroundPrinter(self.workers or PDF_WORKERS)
        self._relay = threading.Thread(target=self._serve, name="pdf-relay", daemon=True)
        self._relay.start()

    def handle(self) -> PrintHandle:
        return PrintHandle(self)

    def remote(self, k: int) -> RemotePrinter:
        return RemotePrinter(self.requests, self.replies[k], k)

    def _serve(self) -> None:
        handles: dict[int, PrintHandle] = {}
        while (msg := self.requests.get()) is not None:
            k, html_path, pdf_path = msg
            handle = handles.setdefault(k, PrintHandle(self))
            if html_path is not None:
                try:
                    handle.submit(Path(html_path), Path(pdf_path))
                except BaseException:            # noqa: BLE001 (kept in the handle: told at its finish)
                    pass
            else:                               # writer k waits for its pages: answered when they are printed
                handles.pop(k)
                threading.Thread(target=self._answer, args=(k, handle), name=f"pdf-answer-{k}", daemon=True).start()

    def _answer(self, k: int, handle: PrintHandle) -> None:
        try:
            handle.finish()
            self.replies[k].put(None)
        except BaseException as exc:            # noqa: BLE001 (sent as text: the writer raises it)
            self.replies[k].put(str(exc) or type(exc).__name__)

    def _stop_relay(self) -> None:
        if self._relay is not None:
            self.requests.put(None)
            self._relay.join()
            self._relay = None

    def close(self) -> None:
        """Every page printed (the writers have finished): stop; raise the printer's failure."""
        self._stop_relay()
        if self.printer is not None:
            printer, self.printer = self.printer, None
            printer.finish()

    def abandon(self) -> None:
        """The run failed: stop after the pages under way."""
        self._stop_relay()
        if self.printer is not None:
            printer, self.printer = self.printer, None
            printer.abandon()
