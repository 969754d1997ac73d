"""The scope files (figures JSON, Excel, case files and books) written by a forked process
(postloan.run.scope_files): what it wrote comes back to the run; its failure is the run's."""
from __future__ import annotations

import dataclasses
import json

import pytest

from postloan.parameter_set import load_parameter_set
from postloan.periods import parse_period
from postloan.run.scope_files import ScopeFiles


@pytest.fixture(scope="module")
def workout_marts(sample_duckdb):
    from data_connectors import load_extract
    from postloan.products import PRODUCTS
    extract = load_extract(str(sample_duckdb))
    return PRODUCTS["workout"].build(extract, parse_period(extract.months()[-1]), load_parameter_set(None, None, None))


def test_the_forked_writer_returns_what_it_wrote(workout_marts, tmp_path):
    from postloan.products import PRODUCTS
    spent = {}
    side = ScopeFiles(["workout"], ["B100", "all"], {"workout": workout_marts}, lambda name: tmp_path / name,
                      books=False, spent=spent)
    side.start()
    side.finish()
    assert [p.exitcode for p, _, _ in side._procs] == [0]              # it ran in its own process
    out = side.results[("workout", "all")]
    assert [k for k, _ in out.files] == ["json", "xlsx"]
    figures = json.loads((tmp_path / "workout" / "all.json").read_text(encoding="utf-8"))
    assert figures["workout_cases"] == len(PRODUCTS["workout"].figures(workout_marts, "all")["case_ids"])
    assert len(out.cases) == figures["workout_cases"] and all(p.exists() for p in out.cases)
    assert set(side.results) == {("workout", "all"), ("workout", "B100")}
    assert spent["export_files"] > 0 and spent["export_figures"] > 0          # its times reach the manifest


def test_a_failure_in_the_forked_writer_is_raised_with_its_message(workout_marts, tmp_path, monkeypatch):
    from postloan.products import PRODUCTS

    def broken(marts, scope, folder, settings):
        raise ValueError(f"磁盘已满 (disk_full)：{scope}")
    monkeypatch.setitem(PRODUCTS, "workout", dataclasses.replace(PRODUCTS["workout"], extra_exports=broken))
    side = ScopeFiles(["workout"], ["all"], {"workout": workout_marts}, lambda name: tmp_path / name, books=False,
                      spent={})
    side.start()
    with pytest.raises(ValueError, match=r"磁盘已满 \(disk_full\)：all"):
        side.finish()
    assert not any(p.is_alive() for p, _, _ in side._procs)


def test_two_workers_share_the_products_and_bind_each_book(sample_duckdb, workout_marts, tmp_path):
    """Two products, two forked workers, books on: every scope's files and case book come back,
    and each book holds its scope's cases (a bookmark per case)."""
    import pikepdf
    from data_connectors import load_extract
    from postloan.products import PRODUCTS
    extract = load_extract(str(sample_duckdb))
    review = PRODUCTS["accountability"].build(extract, parse_period(extract.months()[-1]),
                                              load_parameter_set(None, None, None))
    marts = {"workout": workout_marts, "accountability": review}
    side = ScopeFiles(["accountability", "workout"], ["all", "B100"], marts, lambda name: tmp_path / name, books=True,
                      spent={})
    side.start()
    side.finish()
    assert len(side._procs) == 2 and all(p.exitcode == 0 for p, _, _ in side._procs)
    assert set(side.results) == {(n, s) for n in marts for s in ("all", "B100")}
    for book, (name, scope) in side.book_paths.items():
        with pikepdf.open(book) as pdf, pdf.open_outline() as outline:
            assert len(list(outline.root)) == len(side.results[(name, scope)].cases) > 0, book


def test_case_files_go_to_print_branch_by_branch(workout_marts, tmp_path, monkeypatch):
    """The bank's scope writes every case file, but they are queued for printing in the order of
    the branch books (then the bank's cases in no branch): a branch's book then draws its pages,
    and the fonts they carry, from a few printed chunks instead of from all of them."""
    from postloan.run import books
    queued = []
    monkeypatch.setattr(books.Binder, "add", lambda self, pages: queued.extend(p for p in pages if p not in queued))
    monkeypatch.setattr(books.Binder, "finish", lambda self, b, t=None: 0)
    side = ScopeFiles(["workout"], ["all", "B100", "B200"], {"workout": workout_marts}, lambda name: tmp_path / name,
                      books=True, spent={}, workers=1)             # one thread: the binder is this process's
    side.start()
    side.finish()
    bank, b100, b200 = (side.results[("workout", s)].cases for s in ("all", "B100", "B200"))
    assert b100 and b200 and set(b100) | set(b200) <= set(bank)
    assert queued == b100 + b200 + [p for p in bank if p not in b100 and p not in b200]


@pytest.mark.slow
def test_the_writer_thread_prints_through_a_service_started_after_it(workout_marts, tmp_path):
    """Without fork the writer is a thread that starts before the run starts the print service
    (as the run does: the service starts after the writers fork): its books still print there."""
    import pikepdf
    from postloan.run.print_service import PrintService
    service = PrintService(children=1)
    side = ScopeFiles(["workout"], ["all", "B100"], {"workout": workout_marts}, lambda name: tmp_path / name,
                      books=True, spent={}, workers=1, printer=service)
    side.start()
    service.start()
    try:
        side.finish()
        service.close()
    except BaseException:
        service.abandon()
        raise
    assert side._thread is not None and side.book_paths
    for book, (name, scope) in side.book_paths.items():
        with pikepdf.open(book) as pdf, pdf.open_outline() as outline:
            assert len(list(outline.root)) == len(side.results[(name, scope)].cases) > 0, book
