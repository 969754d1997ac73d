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
_DIGEST_NAME = re.compile(r"-[0-9a-f]{12}$")     # a page named by export.page_file_name's digest: its id is not in the name


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
    binder = Binder(title, workers)
    try:
        binder.add(p for members in books.values() for p in members)
        return binder.finish(books)
    finally:
        binder.close()


class Binder:
    """Prints case files as they are written, `CHUNK` to a document, in a background Chromium
    (`add`), and binds the books once every page is known (`finish`): the printing of the
    first hundred cases overlaps the writing of the rest."""

    def __init__(self, title: str = "案卷汇编", workers: int = 2):
        self.title, self.workers = title, workers
        self.work = Path(tempfile.mkdtemp(prefix="postloan-books-"))
        self.pending: list[Path] = []
        self.seen: set[Path] = set()
        self.chunks: list[tuple[list[Path], Path]] = []      # (case files, their printed PDF)
        self.printer = None

    def add(self, pages) -> None:
        for p in pages:
            if p not in self.seen:
                self.seen.add(p)
                self.pending.append(p)
        while len(self.pending) >= CHUNK:
            self._submit(self.pending[:CHUNK])
            self.pending = self.pending[CHUNK:]

    def _submit(self, chunk: list[Path]) -> None:
        from postloan.run.export import BackgroundPrinter
        if self.printer is None:
            self.printer = BackgroundPrinter(self.workers, outline=True)
        doc = self.work / f"chunk-{len(self.chunks):03d}.html"
        doc.write_text(page_html(self.title, "".join(_body(p) for p in chunk)), encoding="utf-8")
        self.chunks.append((chunk, doc.with_suffix(".pdf")))
        self.printer.submit(doc, doc.with_suffix(".pdf"))

    def finish(self, books: dict[Path, list[Path]], book_titles: dict[Path, str] | None = None) -> int:
        """Print what is left, then write each book from the printed pages (its document title:
        `book_titles[book]`, else the binder's); the number of case files."""
        import pikepdf
        self.add(p for members in books.values() for p in members)
        if self.pending:
            self._submit(self.pending)
            self.pending = []
        if self.printer is not None:
            printer, self.printer = self.printer, None
            printer.finish()
        if not self.chunks:
            return 0
        opened = []
        try:
            where = {}                              # case file -> (pdf, first page, end page)
            alone = []
            for chunk, path in self.chunks:
                pdf = pikepdf.open(path)
                opened.append(pdf)
                titles, starts = _outline_starts(pdf)
                if len(starts) != len(chunk) or -1 in starts or starts != sorted(starts) or not all(
                        p.stem in t or _DIGEST_NAME.search(p.stem) for p, t in zip(chunk, titles)):
                    alone += chunk             # headings not as expected: print these one by one
                    continue
                for p, s, e in zip(chunk, starts, starts[1:] + [len(pdf.pages)]):
                    where[p] = (pdf, s, e)
            if alone:
                single = [(p, self.work / f"alone-{i:05d}.pdf") for i, p in enumerate(alone)]
                print_pdfs(single, workers=self.workers)
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
                out.docinfo["/Title"] = f"{(book_titles or {}).get(book, self.title)}（{book.stem}）"
                book.parent.mkdir(parents=True, exist_ok=True)
                out.save(book)
                out.close()
            return len(self.seen)
        finally:
            for pdf in opened:
                pdf.close()

    def close(self) -> None:
        """Stop printing (a failed run) and remove the working folder."""
        if self.printer is not None:
            self.printer.abandon()
            self.printer = None
        shutil.rmtree(self.work, ignore_errors=True)
