"""Case-file books: every case file is printed once, each scope's book is assembled from the pages.

A case (a workout case, an accountability case) belongs to the bank's book and to its
branch's and sub-branch's. Printing a small HTML page costs Chromium about half a second
(a page, a layout, a font subset), so the case files of a run are concatenated — up to
`CHUNK` of them in one document, each starting on a new page — and printed with the outline
Chromium draws from their headings. The first outline entry of each case file gives its
first page; pikepdf (qpdf) then copies each scope's pages into `<scope>_cases.pdf`, with one
bookmark per case. A case file whose top heading cannot be found in the outline (a page
that does not start with one) is printed on its own instead, so a book is never wrong.
"""
from __future__ import annotations

import html
import re
import shutil
import tempfile
from pathlib import Path

from postloan.run.export import ExportError, page_html, print_pdfs

CHUNK = 120            # case files per printed document (two documents print at once)
_BODY = re.compile(r"<body>(.*)</body>", re.S)
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def _body(html_path: Path) -> str:
    text = html_path.read_text(encoding="utf-8")
    m = _BODY.search(text)
    if not m:
        raise ExportError(f"PDF 打印失败 (pdf_failed)：{html_path.name} 不是本套件生成的页面")
    return m.group(1)


def _title(html_path: Path) -> str:
    """The page's title as text (page_html escaped it for HTML; a bookmark is plain text)."""
    m = _TITLE.search(html_path.read_text(encoding="utf-8"))
    return html.unescape(m.group(1)) if m else html_path.stem


def _outline_starts(pdf) -> tuple[list[str], list[int]]:
    """Titles and first pages (0-based) of the top-level outline entries."""
    index = {p.obj.objgen: i for i, p in enumerate(pdf.pages)}
    titles, starts = [], []
    with pdf.open_outline() as outline:
        for item in outline.root:
            dest = item.destination
            if dest is None and item.action is not None:
                dest = item.action.get("/D")
            try:
                starts.append(index[dest[0].objgen])
            except (KeyError, IndexError, TypeError, AttributeError):
                starts.append(-1)
            titles.append(str(item.title))
    return titles, starts


def print_books(books: dict[Path, list[Path]], title: str = "案卷汇编", workers: int = 2) -> int:
    """`books`: book PDF -> its case-file HTML pages in order. Prints each distinct page once;
    returns the number of case files printed."""
    import pikepdf
    pages = list(dict.fromkeys(p for members in books.values() for p in members))
    if not pages:
        return 0
    work = Path(tempfile.mkdtemp(prefix="postloan-books-"))
    opened = []
    try:
        chunks = [pages[i:i + CHUNK] for i in range(0, len(pages), CHUNK)]
        jobs = []
        for k, chunk in enumerate(chunks):
            doc = work / f"chunk-{k:03d}.html"
            doc.write_text(page_html(title, "".join(_body(p) for p in chunk)), encoding="utf-8")
            jobs.append((doc, doc.with_suffix(".pdf")))
        print_pdfs(jobs, workers=workers, outline=True)
        where = {}                              # case file -> (pdf, first page, end page)
        alone = []
        for chunk, (_, path) in zip(chunks, jobs):
            pdf = pikepdf.open(path)
            opened.append(pdf)
            titles, starts = _outline_starts(pdf)
            if len(starts) != len(chunk) or -1 in starts or starts != sorted(starts) or not all(
                    p.stem in t for p, t in zip(chunk, titles)):
                alone += chunk             # headings not as expected: print these one by one
                continue
            for p, s, e in zip(chunk, starts, starts[1:] + [len(pdf.pages)]):
                where[p] = (pdf, s, e)
        if alone:
            single = [(p, work / f"alone-{i:05d}.pdf") for i, p in enumerate(alone)]
            print_pdfs(single, workers=workers)
            for p, path in single:
                pdf = pikepdf.open(path)
                opened.append(pdf)
                where[p] = (pdf, 0, len(pdf.pages))
        for book, members in books.items():
            out = pikepdf.new()
            marks = []
            for p in members:
                pdf, s, e = where[p]
                marks.append((_title(p), len(out.pages)))
                out.pages.extend(pdf.pages[s:e])
            with out.open_outline() as outline:
                outline.root.extend(pikepdf.OutlineItem(t, i) for t, i in marks)
            out.docinfo["/Title"] = f"{title}（{book.stem}）"
            book.parent.mkdir(parents=True, exist_ok=True)
            out.save(book)
            out.close()
        return len(pages)
    finally:
        for pdf in opened:
            pdf.close()
        shutil.rmtree(work, ignore_errors=True)
