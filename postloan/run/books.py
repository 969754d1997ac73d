"""Case-file books: every case file is printed once, each scope's book is assembled from the pages.

A case (a workout case, an accountability case, an officer's scorecard page) belongs to the
bank's book and to its branch's and sub-branch's. Printing a small HTML page costs Chromium
about half a second (a page, a layout, a font subset), so the case files of a run are
concatenated — up to `CHUNK` of them and `CHUNK_BYTES` of HTML in one document, each starting
on a new page — and printed in one go. Each case file starts with a marker: a one-pixel
internal link, which Chromium prints as a link annotation on the page where the case begins
(`_marked_starts`).
That gives each case's first page without the tagged PDF that Chromium's outline needs (a
tagged print takes about three times as long). pikepdf (qpdf) then copies each scope's pages
into its book, without the markers, with one bookmark per case. A chunk whose markers are
not all found, once each and in order, is printed case by case instead, so a book is never
wrong.
"""
from __future__ import annotations

import html
import re
import shutil
import tempfile
from pathlib import Path

from postloan.run.export import ExportError, page_html, print_pdfs

CHUNK = 120            # case files per printed document (two documents print at once),
CHUNK_BYTES = 800_000  # or fewer, so that the chunk's HTML stays under this: Chromium's print layout
                       # takes ~1.3 MB per page it lays out (the large bank's 120 accountability
                       # cases, 1.8 MB and 301 pages: 767 MB for its tab; 60 of them 463 MB)
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


_MARK = "pl-case-"


def _marked(body: str, i: int) -> str:
    """A case's body in a block that starts a page, with the marker of case `i` at its top (placed
    absolutely: it takes no room and cannot be split from the case's first line; it holds no
    text, which the embedded print font would put in the PDF's text layer)."""
    return (f'<div style="break-before: page; position: relative"><a href="#{_MARK}{i}" id="{_MARK}{i}" '
            'style="position: absolute; top: 0; left: 0; width: 1px; height: 1px; display: block"></a>'
            f'{body}</div>')


def _marked_starts(pdf, n: int) -> list[int] | None:
    """The first page (0-based) of each of the `n` marked cases of a printed chunk, and the
    markers removed; None when the markers are not each found once, in order."""
    import pikepdf
    starts: dict[int, int] = {}
    for page_no, page in enumerate(pdf.pages):
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        keep = pikepdf.Array()
        for a in annots:
            dest = str(a.get("/Dest", ""))
            if dest.startswith("/" + _MARK) and dest[len(_MARK) + 1:].isdigit():
                k = int(dest[len(_MARK) + 1:])
                if k in starts:
                    return None
                starts[k] = page_no
            else:
                keep.append(a)
        page.obj["/Annots"] = keep
    pages = [starts.get(k, -1) for k in range(n)]
    return pages if len(starts) == n and -1 not in pages and pages == sorted(pages) and pages[0] == 0 else None


_STYLE = re.compile(r"<style>.*?</style>", re.S)


def _one_style(bodies) -> str:
    """The case bodies of a chunk, each distinct style block once, at the top (in first-seen
    order). A style block applies to the whole document wherever it stands, so the page looks
    the same; but each copy makes Chromium restyle the whole document (120 copies of the same
    block cost about a fifth of a chunk's print). Markup from data is escaped: a raw `<style>`
    is always the suite's own."""
    styles: dict[str, None] = {}

    def lift(m):
        styles.setdefault(m.group(0))
        return ""
    rest = "".join(_STYLE.sub(lift, b) for b in bodies)
    return "".join(styles) + rest


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
    """Prints case files as they are written, up to `CHUNK` (and `CHUNK_BYTES`) to a document, in
    a background Chromium (`add`), and binds the books once every page is known (`finish`): the
    printing of the first chunks overlaps the writing of the rest."""

    def __init__(self, title: str = "案卷汇编", workers: int = 2, printer=None):
        """`printer`: where the chunks print (a handle on the run's printer, see
        postloan.run.print_service); by default a Chromium of the binder's own."""
        self.title, self.workers = title, workers
        self.shared = printer
        self.work = Path(tempfile.mkdtemp(prefix="postloan-books-"))
        self.pending: list[Path] = []
        self.pending_bytes = 0
        self.seen: set[Path] = set()
        self.chunks: list[tuple[list[Path], Path]] = []      # (case files, their printed PDF)
        self.printer = None

    def add(self, pages) -> None:
        for p in pages:
            if p not in self.seen:
                self.seen.add(p)
                size = p.stat().st_size
                if self.pending and self.pending_bytes + size > CHUNK_BYTES:
                    self._flush()
                self.pending.append(p)
                self.pending_bytes += size
                if len(self.pending) >= CHUNK:
                    self._flush()

    def _flush(self) -> None:
        self._submit(self.pending)
        self.pending, self.pending_bytes = [], 0

    def _submit(self, chunk: list[Path]) -> None:
        from postloan.run.export import BackgroundPrinter
        if self.printer is None:
            self.printer = self.shared if self.shared is not None else BackgroundPrinter(self.workers)
        doc = self.work / f"chunk-{len(self.chunks):03d}.html"
        doc.write_text(page_html(self.title, _one_style(_marked(_body(p), i) for i, p in enumerate(chunk))), encoding="utf-8")
        self.chunks.append((chunk, doc.with_suffix(".pdf")))
        self.printer.submit(doc, doc.with_suffix(".pdf"))

    def finish(self, books: dict[Path, list[Path]], book_titles: dict[Path, str] | None = None) -> int:
        """Print what is left, then write each book from the printed pages (its document title:
        `book_titles[book]`, else the binder's); the number of case files."""
        import pikepdf
        self.add(p for members in books.values() for p in members)
        if self.pending:
            self._flush()
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
                starts = _marked_starts(pdf, len(chunk))
                if starts is None:
                    alone += chunk             # markers not as expected: print these one by one
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
