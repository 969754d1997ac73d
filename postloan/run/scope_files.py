"""The files of each product × scope that are drawn from the marts alone — the figures JSON,
the Excel workbook, the case files and their books — written while the workbooks render.

Rendering keeps the two kernels busy about half the time (they wait on each other's
messages); the run's own process would idle meanwhile. These files need no rendered page,
so a thread writes them alongside; the case files are printed as they are written (a
background Chromium, `books.Binder`) and bound into each scope's book at the end. `finish`
waits and raises the first failure; `stop` asks it to end after the file under way (a
failed or interrupted run)."""
from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from postloan.products import PRODUCTS
from postloan.run.books import Binder
from postloan.run.export import write_figures
from postloan.run.forking import can_fork, die_with_parent


@dataclass
class ScopeOutputs:
    """What one product × scope wrote: (kind, path) in listing order, and its case files."""
    files: list[tuple[str, Path]] = field(default_factory=list)
    cases: list[Path] = field(default_factory=list)


class ScopeFiles:
    """Writes, for each (product, scope) in order, `<product>/<scope>.json` and the product's
    extra exports into `folder(product)`; then, with `books`, prints each scope's case book
    `<product>/<scope>_cases.pdf`. Times are added to `spent` (export_figures, export_files,
    export_books).

    The work runs in a forked process: it shares the marts without copying them, and its
    Python does not hold the run's interpreter lock, which the render's notebook clients need
    (as a thread it slowed the render by a fifth). Without fork, a thread does the same."""

    def __init__(self, pairs: list[tuple[str, str]], marts: dict, folder, books: bool, spent: dict):
        self.pairs, self.marts, self.folder, self.books, self.spent = pairs, marts, folder, books, spent
        self.results: dict[tuple[str, str], ScopeOutputs] = {}
        self.book_paths: dict[Path, tuple[str, str]] = {}         # book -> (product, scope)
        self.error: BaseException | None = None
        self._halt = threading.Event()
        self._proc = self._thread = self._recv = None
        self._received = False
        self._lock = threading.Lock()           # the two render threads ask `failed` at once

    def start(self) -> None:
        if can_fork():
            ctx = mp.get_context("fork")
            self._recv, send = ctx.Pipe(duplex=False)
            self._proc = ctx.Process(target=self._child, args=(send,), name="postloan-files", daemon=True)
            self._proc.start()
            send.close()
        else:
            self._thread = threading.Thread(target=self.work, name="scope-files", daemon=True)
            self._thread.start()

    def _child(self, send) -> None:
        die_with_parent()
        before = dict(self.spent)
        self.work()
        error = self.error
        if error is not None:
            try:
                pickle.dumps(error)
            except Exception:                   # noqa: BLE001 (an exception that does not pickle: its text)
                error = RuntimeError(f"{type(error).__name__}: {error}")
        spent = {k: v for k, v in self.spent.items() if before.get(k) != v}
        try:
            send.send_bytes(pickle.dumps((self.results, self.book_paths, spent, error)))
        finally:
            send.close()
            os._exit(0)

    def failed(self) -> BaseException | None:
        """The failure, if the work has already failed (without waiting)."""
        with self._lock:
            if self._proc is not None and not self._received and self._recv.poll():
                self._receive()
        return self.error

    def _receive(self) -> None:
        self._received = True
        try:
            results, book_paths, spent, error = pickle.loads(self._recv.recv_bytes())
        except (EOFError, OSError):
            self.error = RuntimeError(f"导出子进程意外退出 (export_failed)：退出码 {self._proc.exitcode}")
            return
        self.results.update(results)
        self.book_paths.update(book_paths)
        self.spent.update(spent)
        self.error = error

    def stop(self) -> None:
        """End now (a failed or interrupted run): the process is terminated (its Chromium with it),
        the thread ends after the file under way."""
        self._halt.set()
        if self._proc is not None and self._proc.is_alive():
            self._proc.terminate()

    def join(self, timeout: float | None = None) -> None:
        if self._proc is not None:
            with self._lock:
                if not self._received and self._recv.poll(timeout):
                    self._receive()
            self._proc.join(timeout)
        elif self._thread is not None:
            self._thread.join(timeout)

    def finish(self) -> None:
        """Wait for every file and book; raise the first failure."""
        self.join()
        with self._lock:
            if self._proc is not None and not self._received:
                self._receive()
        if self.error is not None:
            raise self.error

    def _timed(self, key: str, t: float) -> None:
        self.spent[key] = round(self.spent.get(key, 0.0) + time.perf_counter() - t, 2)

    def work(self) -> None:
        binder = Binder() if self.books else None     # case files print while the other files are written
        try:
            for name, scope in self.pairs:
                if self._halt.is_set():
                    return
                product, folder = PRODUCTS[name], Path(self.folder(name))
                folder.mkdir(parents=True, exist_ok=True)
                out = ScopeOutputs()
                t = time.perf_counter()
                json_path = folder / f"{scope}.json"
                write_figures(product.figures(self.marts[name], scope), json_path)
                out.files.append(("json", json_path))
                self._timed("export_figures", t)
                if product.extra_exports:
                    t = time.perf_counter()
                    extra = product.extra_exports(self.marts[name], scope, folder)
                    self._timed("export_files", t)
                    out.cases = [p for kind, p in extra if kind == "case"]
                    out.files += [(kind, p) for kind, p in extra if kind != "case"]
                    if binder is not None:
                        binder.add(out.cases)
                self.results[(name, scope)] = out
            books = {}
            for (name, scope), out in self.results.items():
                if out.cases and self.books:
                    book = Path(self.folder(name)) / f"{scope}_cases.pdf"
                    books[book] = out.cases
                    self.book_paths[book] = (name, scope)
            if books and not self._halt.is_set():
                t = time.perf_counter()
                binder.finish(books)
                self._timed("export_books", t)
        except BaseException as exc:            # noqa: BLE001 (raised in the runner's thread by join)
            self.error = exc
        finally:
            if binder is not None:
                binder.close()

    def stop(self) -> None:
        """End after the file under way (the books, once begun, finish: Chromium is not interrupted)."""
        self._halt.set()

    def finish(self) -> None:
        """Wait for every file and book; raise the first failure."""
        self.join()
        if self.error is not None:
            raise self.error
