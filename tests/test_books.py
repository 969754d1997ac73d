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


def test_a_chunk_ends_at_chunk_cases_or_before_its_html_passes_chunk_bytes(tmp_path, monkeypatch):
    from postloan.run import books as binder
    monkeypatch.setattr(binder, "CHUNK", 4)
    monkeypatch.setattr(binder, "CHUNK_BYTES", 1000)
    pages = []
    for k, size in enumerate([300, 300, 300, 300, 100, 100, 100, 100, 100, 2500, 50]):
        p = tmp_path / f"c{k}.html"
        p.write_bytes(b"x" * size)
        pages.append(p)
    chunks = []
    b = binder.Binder()
    monkeypatch.setattr(b, "_submit", lambda chunk: chunks.append([int(p.stem[1:]) for p in chunk]))
    b.add(pages[:6])
    b.add(pages[:3] + pages[6:])             # a case already queued is not queued again
    b._flush()
    b.close()
    # 300*3 + 300 would pass 1000 bytes; four cases end a chunk; a case larger than the limit goes alone
    assert chunks == [[0, 1, 2], [3, 4, 5, 6], [7, 8], [9], [10]]


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
    # documents with a table of 3 rows count as heavy: they print alone, the other tab closed
    monkeypatch.setattr(export, "HEAVY_ROWS", 3)
    for k in (1, 4):
        cases[k].write_text(cases[k].read_text(encoding="utf-8").replace(
            "</h2>", "</h2><table><tr><td>1</td></tr><tr><td>2</td></tr><tr><td>3</td></tr></table>"), encoding="utf-8")
    export.print_pdfs([(c, c.with_suffix(".pdf")) for c in cases], workers=2)
    for k, c in enumerate(cases):
        texts = _page_texts(c.with_suffix(".pdf"))
        assert [t.split()[0] for t in texts] == [f"D{k}"] * (k % 2 + 1)


def test_the_longest_table_of_a_page_counts_its_own_rows_not_a_nested_table_s():
    from postloan.run.export import longest_table
    page = ("<table><tr><td>a</td></tr><tr><td><table><tr><td>x</td></tr></table></td></tr><tr><td>b</td></tr></table>"
            "<p>&lt;tr&gt; is text</p><table class='pl'><thead><tr><th>h</th></tr></thead><tbody>"
            + "<tr><td>1</td></tr>" * 5 + "</tbody></table>")
    assert longest_table(page) == 6 and longest_table("<p>no table</p>") == 0
    assert longest_table("<table><tr><td>unclosed") == 1


def test_a_heavy_document_waits_for_the_pages_under_way_prints_alone_and_closes_the_idle_tabs():
    import asyncio
    from postloan.run.export import PrintGate
    closed = []

    class Tab:
        def __init__(self, name):
            self.name = name

        async def close(self):
            closed.append(self.name)

    async def scenario():
        gate = PrintGate()
        a, b, c = {"page": Tab("a")}, {"page": Tab("b")}, {"page": Tab("c")}
        gate.tabs += [a, b, c]
        await gate.enter(False, a)                    # a prints a small page
        heavy = asyncio.create_task(gate.enter(True, b))
        await asyncio.sleep(0.02)
        assert not heavy.done()                       # it waits for a's page
        late = asyncio.create_task(gate.enter(False, c))
        await asyncio.sleep(0.02)
        assert not late.done()                        # and no other page starts meanwhile
        await gate.leave(False)
        await asyncio.wait_for(heavy, 1)
        assert closed == ["a", "c"] and a["page"] is None and c["page"] is None and b["page"] is not None
        await asyncio.sleep(0.02)
        assert not late.done() and gate.active == 1   # alone while it prints
        await gate.leave(True)
        await asyncio.wait_for(late, 1)
        assert gate.active == 1 and not gate.heavy
        await gate.leave(False)
        await gate.enter(False, a)                    # small pages print side by side again
        await asyncio.wait_for(gate.enter(False, c), 1)
        assert gate.active == 2
    asyncio.run(scenario())
