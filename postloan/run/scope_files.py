"""The files of each product × scope that are drawn from the marts alone — the figures JSON,
the Excel workbook, the case files and their books — written while the workbooks render.

The two render kernels leave part of the machine idle (they wait on the run's notebook
clients), and after the render the kernels idle completely. These files need no rendered
page, so two forked workers write them alongside, product by product; each has its case
files printed as they are written (`books.Binder`, through the run's one Chromium in the main
process, `print_service`) and binds each scope's book at the end. `finish` waits and raises
the first failure; `stop` ends the workers (a failed or interrupted run).
"""
from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from postloan.memory import release_memory
from postloan.products import PRODUCTS
from postloan.run.books import Binder
from postloan.run.export import write_figures
from postloan.run.forking import can_fork, die_with_parent, freeze_for_fork, thaw


@dataclass
class ScopeOutputs:
    """What one product × scope wrote: (kind, path) in listing order, and its case files."""
    files: list[tuple[str, Path]] = field(default_factory=list)
    cases: list[Path] = field(default_factory=list)


class ScopeFiles:
    """Writes, for each product and each of its scopes in order, `<product>/<scope>.json` and
    the product's extra exports into `folder(product)` (with the product's workbook settings,
    `settings[product]`); then, with `books`, prints each scope's book of case pages
    `<product>/<scope>_<book>.pdf` (case files; the scorecards' officer pages). Times are added to `spent` (export_figures,
    export_files and export_files.<product>, export_books: summed over the workers).

    The work runs in `workers` forked processes, which take whole products from a shared
    counter (a product's case files are written by its bank-wide scope and bound by the same
    process): they share the marts without copying them, and their Python does not hold the
    run's interpreter lock, which the render's notebook clients need. Without fork, one thread
    does the same."""

    def __init__(self, products: list[str], scopes: list[str], marts: dict, folder, books: bool, spent: dict,
                 workers: int = 2, settings: dict | None = None, printer=None):
        # the largest marts first: the other worker takes the next product meanwhile
        self.products = sorted(products, key=lambda n: -sum(len(t) for t in marts[n].tables.values()))
        self.scopes = sorted(scopes, key=lambda s: s != "all")   # the bank's scope writes every case file first
        self.marts, self.folder, self.books, self.spent, self.workers = marts, folder, books, spent, workers
        self.settings = settings or {}
        self.printer = printer                  # the run's PrintService: books print in its one Chromium
        self._remote = None                     # in a forked worker: its channel to that printer
        self.results: dict[tuple[str, str], ScopeOutputs] = {}
        self.book_paths: dict[Path, tuple[str, str]] = {}         # book -> (product, scope)
        self.error: BaseException | None = None
        self._halt = threading.Event()
        self._procs: list = []                  # (process, pipe, received)
        self._thread = None
        self._next = None
        self._lock = threading.Lock()           # the two render threads ask `failed` at once

    def start(self) -> None:
        if can_fork() and self.workers > 1:
            ctx = mp.get_context("fork")
            self._next = ctx.Value("i", 0)
            freeze_for_fork()                   # thawed in join, once the workers are gone
            for k in range(min(self.workers, len(self.products))):
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=self._child, args=(send, k), name=f"postloan-files-{k + 1}", daemon=True)
                proc.start()
                send.close()
                self._procs.append([proc, recv, False])
        else:
            self._thread = threading.Thread(target=self.work, name="scope-files", daemon=True)
            self._thread.start()

    def _take(self) -> str | None:
        if self._next is None:                  # the thread: every product in turn
            return self.products.pop(0) if self.products else None
        with self._next.get_lock():
            i = self._next.value
            self._next.value = i + 1
        return self.products[i] if i < len(self.products) else None

    def _child(self, send, k: int = 0) -> None:
        die_with_parent()
        if self.printer is not None:
            self._remote = self.printer.remote(k)
        before = dict(self.spent)
        self.work()
        error = self.error
        if error is not None:
            try:
                pickle.dumps(error)
            except Exception:                   # noqa: BLE001 (an exception that does not pickle: its text)
                error = RuntimeError(f"{type(error).__name__}: {error}")
        spent = {k: round(v - before.get(k, 0.0), 2) for k, v in self.spent.items() if before.get(k) != v}
        try:
            send.send_bytes(pickle.dumps((self.results, self.book_paths, spent, error)))
        finally:
            send.close()
            os._exit(0)

    def _receive(self, entry, timeout: float | None = 0) -> None:
        proc, recv, received = entry
        if received or not recv.poll(timeout):
            return
        entry[2] = True
        try:
            results, book_paths, spent, error = pickle.loads(recv.recv_bytes())
        except (EOFError, OSError):
            proc.join(5)
            results, book_paths, spent = {}, {}, {}
            error = RuntimeError(f"导出子进程意外退出 (export_failed)：退出码 {proc.exitcode}")
        self.results.update(results)
        self.book_paths.update(book_paths)
        for k, v in spent.items():
            self.spent[k] = round(self.spent.get(k, 0.0) + v, 2)
        if error is not None and self.error is None:
            self.error = error

    def failed(self) -> BaseException | None:
        """The failure, if a worker has already failed (without waiting)."""
        with self._lock:
            for entry in self._procs:
                self._receive(entry)
        return self.error

    def stop(self) -> None:
        """End now (a failed or interrupted run): the processes are terminated (their Chromium with
        them); the thread ends after the file under way."""
        self._halt.set()
        for proc, _, _ in self._procs:
            if proc.is_alive():
                proc.terminate()

    def join(self, timeout: float | None = None) -> None:
        with self._lock:
            for entry in self._procs:
                self._receive(entry, timeout)
                entry[0].join(timeout)
            if self._procs and not any(p.is_alive() for p, _, _ in self._procs):
                thaw()
        if self._thread is not None:
            self._thread.join(timeout)

    def finish(self) -> None:
        """Wait for every file and book; raise the first failure."""
        self.join()
        if self.error is not None:
            self.stop()
            raise self.error

    def _timed(self, key: str, t: float) -> None:
        self.spent[key] = round(self.spent.get(key, 0.0) + time.perf_counter() - t, 2)

    def work(self) -> None:
        binder = Binder(printer=self._printer_handle()) if self.books else None   # printed while the rest is written
        done = []
        try:
            while (name := self._take()) is not None:
                bank = []
                for scope in self.scopes:
                    if self._halt.is_set():
                        return
                    self.results[(name, scope)] = out = self._write(name, scope)
                    done.append((name, scope, out))
                    # the bank's scope writes every case file first; they go to print branch by branch
                    # (its own order, the bank's book, is kept by the binding): a printed chunk then
                    # holds few branches, and a branch's book copies the fonts of a few chunks, not of
                    # every chunk of the run (large: a branch's workout book 17 MB, most of it fonts)
                    if binder is not None:
                        if scope == "all":
                            bank = out.cases
                        else:
                            binder.add(out.cases)
                if binder is not None:
                    binder.add(bank)            # the bank's cases in no branch's book
                # what was built to write this product (a frame per case and mart) is not needed again
                self.marts[name].drop_lookups()
                release_memory()
            books, titles = {}, {}
            for name, scope, out in done:
                if out.cases and self.books:
                    book = Path(self.folder(name)) / f"{scope}_{PRODUCTS[name].book}.pdf"
                    books[book], titles[book] = out.cases, PRODUCTS[name].book_title
                    self.book_paths[book] = (name, scope)
            if books and not self._halt.is_set():
                t = time.perf_counter()
                binder.finish(books, titles)
                self._timed("export_books", t)
        except BaseException as exc:            # noqa: BLE001 (raised in the runner's thread by finish)
            self.error = exc
        finally:
            if binder is not None:
                binder.close()

    def _printer_handle(self):
        """Where this worker's book chunks print: the run's printer (over the pipe from a forked
        worker, directly from the thread), or None (the binder's own Chromium)."""
        if self.printer is None:
            return None
        return self._remote if self._remote is not None else self.printer.handle()

    def _write(self, name: str, scope: str) -> ScopeOutputs:
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
            extra = product.extra_exports(self.marts[name], scope, folder, self.settings.get(name, {}))
            self._timed("export_files", t)
            self._timed(f"export_files.{name}", t)     # by product, in the manifest and the benchmark
            out.cases = [p for kind, p in extra if kind == "case"]
            out.files += [(kind, p) for kind, p in extra if kind != "case"]
        return out
