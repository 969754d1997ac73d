"""The files of each product × scope that are drawn from the marts alone — the figures JSON,
the Excel workbook, the case files and their books — written while the workbooks render.

Rendering keeps the two kernels busy about half the time (they wait on each other's
messages); the run's own process would idle meanwhile. These files need no rendered page,
so a thread writes them alongside; the case files are printed as they are written (a
background Chromium, `books.Binder`) and bound into each scope's book at the end. `finish`
waits and raises the first failure; `stop` asks it to end after the file under way (a
failed or interrupted run)."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from postloan.products import PRODUCTS
from postloan.run.books import Binder
from postloan.run.export import write_figures


@dataclass
class ScopeOutputs:
    """What one product × scope wrote: (kind, path) in listing order, and its case files."""
    files: list[tuple[str, Path]] = field(default_factory=list)
    cases: list[Path] = field(default_factory=list)


class ScopeFiles(threading.Thread):
    """Writes, for each (product, scope) in order, `<product>/<scope>.json` and the product's
    extra exports into `folder(product)`; then, with `books`, prints each scope's case book
    `<product>/<scope>_cases.pdf`. Times are added to `spent` (export_figures, export_files,
    export_books)."""

    def __init__(self, pairs: list[tuple[str, str]], marts: dict, folder, books: bool, spent: dict):
        super().__init__(name="scope-files", daemon=True)
        self.pairs, self.marts, self.folder, self.books, self.spent = pairs, marts, folder, books, spent
        self.results: dict[tuple[str, str], ScopeOutputs] = {}
        self.book_paths: dict[Path, tuple[str, str]] = {}         # book -> (product, scope)
        self.error: BaseException | None = None
        self._halt = threading.Event()

    def _timed(self, key: str, t: float) -> None:
        self.spent[key] = round(self.spent.get(key, 0.0) + time.perf_counter() - t, 2)

    def run(self) -> None:
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
