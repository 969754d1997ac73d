"""Case-file books: each case file printed once, each scope's book assembled from its pages."""
from __future__ import annotations

import json
import re
import subprocess

import pikepdf
import pytest

from postloan.run.books import print_books
from postloan.run.export import page_html


def _case(folder, case_id, pages=1, heading=True):
    body = "".join(f'<div style="break-before: page"></div><p>{case_id} 第 {k + 1} 页</p>' for k in range(pages))
    if heading:
        body = f'<div style="break-before: page"></div><h2>{case_id} 案卷</h2>' + body[len('<div style="break-before: page"></div>'):]
    path = folder / f"{case_id}.html"
    path.write_text(page_html(f"{case_id} 案卷", body), encoding="utf-8")
    return path


def _page_texts(pdf):
    with pikepdf.open(pdf) as doc:
        n = len(doc.pages)
    return [subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), str(pdf), "-"], capture_output=True,
                           text=True).stdout for i in range(1, n + 1)]


@pytest.mark.slow
def test_each_case_is_printed_once_and_each_book_holds_its_own_pages(tmp_path):
    a, b = _case(tmp_path, "C1", pages=2), _case(tmp_path, "C2")
    c = _case(tmp_path, "C3", heading=False)      # no heading: its marker still gives its first page
    books = {tmp_path / "all_cases.pdf": [a, b, c], tmp_path / "B1_cases.pdf": [b, c]}
    assert print_books(books) == 3
    bank = _page_texts(tmp_path / "all_cases.pdf")
    assert [t.split()[0] for t in bank] == ["C1", "C1", "C2", "C3"]      # C1 has two pages
    assert "C1 第 2 页" in bank[1]
    assert [t.split()[0] for t in _page_texts(tmp_path / "B1_cases.pdf")] == ["C2", "C3"]
    assert _bookmarks(tmp_path / "B1_cases.pdf") == [("C2 案卷", 0), ("C3 案卷", 1)]


@pytest.mark.slow
def test_a_chunk_whose_markers_are_not_found_is_printed_case_by_case(tmp_path, monkeypatch):
    from postloan.run import books as binder
    monkeypatch.setattr(binder, "_marked_starts", lambda pdf, n: None)
    a, b = _case(tmp_path, "C1", pages=2), _case(tmp_path, "C2")
    assert print_books({tmp_path / "all_cases.pdf": [a, b], tmp_path / "B1_cases.pdf": [b]}) == 2
    assert [t.split()[0] for t in _page_texts(tmp_path / "all_cases.pdf")] == ["C1", "C1", "C2"]
    assert _bookmarks(tmp_path / "B1_cases.pdf") == [("C2 案卷", 0)]


def _bookmarks(path) -> list[tuple[str, int]]:
    """(title, 0-based page) of each top-level bookmark, read without the code under test."""
    with pikepdf.open(path) as doc:
        index = {p.obj.objgen: i for i, p in enumerate(doc.pages)}
        with doc.open_outline() as outline:
            return [(str(e.title), index[e.destination[0].objgen]) for e in outline.root]


def test_published_books_bookmark_every_case_of_their_scope(published_run):
    for product in ("workout", "accountability"):
        folder = published_run / product
        pages = {p.stem for p in (folder / "cases").glob("*.html")}
        assert pages and not list((folder / "cases").glob("*.pdf"))        # no PDF per case: books
        seen = set()
        for book in folder.glob("*_cases.pdf"):
            ids = [title.split()[0] for title, _ in _bookmarks(book)]
            assert len(ids) == len(set(ids)) and set(ids) <= pages, book
            seen |= set(ids)
            scope = book.name[:-len("_cases.pdf")]
            figures = json.loads((folder / f"{scope}.json").read_text(encoding="utf-8"))
            if product == "workout":
                assert set(ids) == set(figures["case_ids"]), book
            else:
                assert len(ids) == figures["cases"], book
        assert seen == pages


def test_a_page_named_from_a_hostile_id_stays_in_its_folder():
    """Ids come from the extract: a case or officer page is named by page_file_name, which keeps
    a plain id and turns any other into plain characters and a digest (no '/', no '..')."""
    from postloan.run.export import page_file_name
    assert page_file_name("E00012") == "E00012" and page_file_name("杭州L-1_a") == "杭州L-1_a"
    names = {k: page_file_name(k) for k in ["<script>alert(2)</script>E3", "../../etc/passwd", "a/b", "a\\b", "a b", "ab"]}
    for key, name in names.items():
        assert re.fullmatch(r"[A-Za-z0-9_\-\u4e00-\u9fff]+", name), (key, name)
    assert len(set(names.values())) == len(names)                 # two ids never share a file
    assert page_file_name("a/b") != page_file_name("a_b")


def test_a_chunk_holds_each_style_block_once_before_the_cases():
    from postloan.run.books import _one_style
    a, b = "<style>.pl { color: #000; }</style>", "<style>.pl-kpi { border: 1px solid; }</style>"
    bodies = [f"{a}<h2>甲</h2>", f"{a}{b}<p>乙</p>", f"<p>丙</p>{b}{a}", "<p>&lt;style&gt;丁&lt;/style&gt;</p>"]
    assert _one_style(bodies) == a + b + "<h2>甲</h2><p>乙</p><p>丙</p><p>&lt;style&gt;丁&lt;/style&gt;</p>"


@pytest.mark.slow
def test_documents_printed_in_one_tab_each_hold_their_own_page(tmp_path, monkeypatch):
    """print_pdfs navigates one tab per worker from document to document and renews it every
    PAGES_PER_TAB documents: each PDF must still hold its own document, whichever tab printed it."""
    from postloan.run import export
    monkeypatch.setattr(export, "PAGES_PER_TAB", 2)
    cases = [_case(tmp_path, f"D{k}", pages=k % 2 + 1) for k in range(7)]
    export.print_pdfs([(c, c.with_suffix(".pdf")) for c in cases], workers=2)
    for k, c in enumerate(cases):
        texts = _page_texts(c.with_suffix(".pdf"))
        assert [t.split()[0] for t in texts] == [f"D{k}"] * (k % 2 + 1)
