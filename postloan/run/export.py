"""Exports of an executed workbook: self-contained HTML, A4 PDF via the installed
Chromium, and the figures JSON."""
from __future__ import annotations

import asyncio
import hashlib
import html
import json
import math
import re
import shutil
from pathlib import Path

import nbformat

from postloan.run import print_fonts

PAGE_CSS = """
<style>
@page { size: A4; margin: 14mm 12mm; }
html, body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; color: #000; background: #fff; }
body { max-width: 186mm; margin: 0 auto; font-size: 12px; }
h1 { font-size: 20px; } h2 { font-size: 16px; border-bottom: 1px solid #000; margin-top: 18px;
     break-after: avoid; } h3 { font-size: 13px; break-after: avoid; }
table { border-collapse: collapse; } td, th { text-align: left; }
td.n { text-align: right; }
img { max-width: 100%; break-inside: avoid; }
.jp-OutputPrompt, .jp-InputPrompt, .prompt, .anchor-link { display: none; }
tr { break-inside: avoid; }
</style>
"""

# What a published page may do: show its own inline styles and data: images. No script of any
# kind, no request to any address (a payload that slipped past escaping still cannot run or call out).
PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
            "script-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'")

CHROMIUM_CANDIDATES = ["chromium", "chromium-browser", "google-chrome"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                  # Chromium 151+ pre-renders its address-bar popup in a renderer of its own, headless
                  # too: 382 -> 331 MiB PSS for a browser with one page open (Debian's 156)
                  "--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup"]


class ExportError(RuntimeError):
    pass


def find_chromium() -> str:
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    raise ExportError("未找到 Chromium，无法生成 PDF (chromium_missing)：请安装 Debian 软件包 chromium。")


WORKBENCH_ONLY = "workbench-only"      # cell tag: shown in JupyterLab, never published


def to_html(nb: nbformat.NotebookNode, title: str) -> str:
    """Outputs only (no input cells, no prompts), no script, stylesheet or font from outside.

    The workbooks' pages hold markdown headings and HTML or PNG outputs only; those are
    written here directly, in the markup of nbconvert's `basic` template (the same page, ~50x
    faster: nbconvert re-parses every page it writes). A notebook with any other kind of
    output goes through nbconvert itself."""
    body = _fast_body(nb)
    return page_html(title, body) if body is not None else _nbconvert_html(nb, title)


_OUTPUT = ('<div class="output_area">\n<div class="{kind} output_subarea">{content}</div>\n</div>\n')


def markdown_html(source: str) -> str:
    """A markdown cell as the published page writes it (nbconvert's renderer, written as HTML);
    the dashboards show a published page's headings through the same function."""
    from nbconvert.exporters.html import IPythonRenderer
    from nbconvert.filters.markdown_mistune import MarkdownWithMath
    return _as_html(MarkdownWithMath(renderer=IPythonRenderer(escape=False, anchor_link_text="")).render(source))


def _fast_body(nb) -> str | None:
    out = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if WORKBENCH_ONLY in tags:
            continue
        cid = f' id="cell-id={cell["id"]}"' if cell.get("id") else ""
        tag_cls = "".join(f" celltag_{t}" for t in tags)
        if cell.cell_type == "markdown":
            if cell.get("attachments"):
                return None
            md = markdown_html(cell.source)
            out.append(f'<div class="cell border-box-sizing text_cell rendered{tag_cls}"{cid}><div class="inner_cell">\n'
                       f'<div class="text_cell_render border-box-sizing rendered_html">\n{md}\n</div>\n</div>\n</div>\n')
            continue
        if cell.cell_type != "code":
            return None
        areas = []
        for o in cell.get("outputs", []):
            data = o.get("data", {}) if o.get("output_type") in ("display_data", "execute_result") else None
            if data is None:
                return None                    # a stream, an error: nbconvert's own rendering
            if "text/html" in data:
                html_text = data["text/html"]
                areas.append(_OUTPUT.format(kind="output_html rendered_html",
                                            content="".join(html_text) if isinstance(html_text, list) else html_text))
            elif "image/png" in data:
                png = data["image/png"].replace("\n", "")
                areas.append(_OUTPUT.format(kind="output_png", content='\n<img alt="No description has been provided '
                                            f'for this image" src="data:image/png;base64,{png}"/>\n'))
            else:
                return None
        inner = ('<div class="output_wrapper">\n<div class="output">\n' + "".join(areas) + "</div>\n</div>\n") \
            if areas else ""
        out.append(f'<div class="cell border-box-sizing code_cell rendered{tag_cls}"{cid}>\n{inner}</div>')
    return "\n".join(out)


_SELF_CLOSED = re.compile(r"<(a|div|span|p)(\s[^<>]*?)?\s*/>")
_NUMERIC = re.compile(r"&#(\d+);")


def _as_html(markup: str) -> str:
    """nbconvert's heading anchors come out of ElementTree as XML: `<a … />`, which an HTML
    parser reads as an open <a> holding the rest of the page, and CJK text as &#NNNNN;.
    Written as HTML: the element closed, the text as itself (markup characters stay escaped)."""
    markup = _SELF_CLOSED.sub(lambda m: f"<{m.group(1)}{m.group(2) or ''}></{m.group(1)}>", markup)
    return _NUMERIC.sub(lambda m: chr(int(m.group(1))) if int(m.group(1)) > 127 else m.group(0), markup)


def _nbconvert_html(nb: nbformat.NotebookNode, title: str) -> str:
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_output_prompt=True,
                            exclude_input_prompt=True, anchor_link_text="")
    # the workbook's own introduction, for analysts in JupyterLab, is not part of a published page
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={WORKBENCH_ONLY}), enabled=True)
    body, _ = exporter.from_notebook_node(nb)
    return page_html(title, body)


def page_html(title: str, body: str) -> str:
    """A self-contained A4 page: the title escaped, and a Content-Security-Policy that lets
    nothing run and nothing load from anywhere (inline styles and data: images only)."""
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{PAGE_CSP}">'
            f"<title>{html.escape(title)}</title>{PAGE_CSS}</head><body>{body}</body></html>\n")


_SAFE_NAME = re.compile(r"[A-Za-z0-9_\-\u4e00-\u9fff]{1,80}")


def page_file_name(key: str) -> str:
    """The file name (without .html) of the page of one case or officer: the id itself when it is
    plain letters, digits, '-', '_' or Chinese; otherwise (an id from an extract may hold '/',
    '..' or markup) its plain characters and a digest of the whole id, so that no id can name
    a path outside the folder, and two ids never share a file."""
    key = str(key)
    if _SAFE_NAME.fullmatch(key):
        return key
    plain = re.sub(r"[^A-Za-z0-9_\-\u4e00-\u9fff]", "_", key)[:40]
    return f"{plain}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:12]}"


PDF_WORKERS = 2    # pages printed at once: ~1.4x on two cores (measured on 300-page scorecard sets)
PAGES_PER_TAB = 50   # documents printed in one browser tab before it is replaced by a new one,
TAB_BYTES = 600_000    # or this much HTML (what a tab laid out stays in its memory)
HEAVY_ROWS = 1_500     # a document with a table this long prints alone (`PrintGate`)
_TABLE_TAGS = re.compile(r"<table\b|</table>|<tr\b")


def longest_table(html_text: str) -> int:
    """The rows of the longest table of a page. Chromium's print layout of a long table costs far
    more than its screen layout, whatever part of it is printed: the large bank's scorecards page
    (one table of 4,049 rows, 1.1 MB of HTML) took its tab 1.3 GB and the meeting pack (4,575
    rows) 1.7 GB, while a 1.1 MB chunk of 120 officer pages with short tables took 450 MB."""
    longest, open_rows = 0, []
    for m in _TABLE_TAGS.finditer(html_text):
        tag = m.group(0)
        if tag == "<table":
            open_rows.append(0)
        elif tag == "</table>":
            if open_rows:
                longest = max(longest, open_rows.pop())
        elif open_rows:
            open_rows[-1] += 1
    return max([longest, *open_rows])


def print_pdfs(jobs: list[tuple[Path, Path]], workers: int = PDF_WORKERS) -> None:
    """Print each (html, pdf) pair to an A4 PDF in one headless Chromium, `workers` pages at a
    time (untagged: a tagged print takes about three times as long). Any failure raises
    ExportError naming the file."""
    if jobs:
        asyncio.run(_print_all([(Path(h), Path(p)) for h, p in jobs], max(1, workers)))


class BackgroundPrinter:
    """Prints pages while the caller goes on writing others: Chromium works on one core while
    Python writes Excel and HTML on the other. `submit` pages as they are written (with `done`,
    called with None once the PDF is written, or with the failure: every job submitted gets
    exactly one call); `finish` waits for the last and raises the first failure (ExportError)."""

    _DONE = None

    def __init__(self, workers: int = PDF_WORKERS):
        import queue
        import threading
        self.queue: "queue.Queue" = queue.Queue()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, args=(max(1, workers),), name="pdf-printer", daemon=True)
        self.thread.start()

    def submit(self, html_path: Path, pdf_path: Path, done=None) -> None:
        if self.errors:
            raise self.errors[0]
        self.queue.put((Path(html_path), Path(pdf_path), done))

    def finish(self) -> None:
        self.queue.put(self._DONE)
        self.thread.join()
        if self.errors:
            raise self.errors[0]

    def abandon(self) -> None:
        """The run failed: stop after the pages under way, ignore their outcome."""
        import queue
        gone = ExportError("PDF 打印已中止 (pdf_failed)：运行失败")
        try:
            while True:
                job = self.queue.get_nowait()
                if job is not None:
                    _tell(job, gone)
        except queue.Empty:
            pass
        self.queue.put(self._DONE)
        self.thread.join()

    def _run(self, workers: int) -> None:
        try:
            asyncio.run(_print_all(self.queue, workers))
        except BaseException as exc:           # noqa: BLE001 (raised in the caller's thread)
            self.errors.append(exc)
            while (job := self.queue.get()) is not self._DONE:      # let submit/finish return
                _tell(job, exc)


def _tell(job, outcome) -> None:
    """Call a job's `done` (if it has one) with None or its failure, once."""
    done = job[2]
    if done is not None:
        try:
            done(outcome)
        except Exception:                       # noqa: BLE001 (a listener's fault is not the printer's)
            pass


class PrintGate:
    """Who may print now. A heavy document (a table of HEAVY_ROWS rows: `longest_table`) prints
    alone: once one waits, no other page starts, the pages under way finish, and the idle
    workers' tabs (`tabs`: each worker's {"page": tab or None}) are closed, so that Chromium
    holds one large layout and not that and another; then the others go on."""

    def __init__(self):
        self.cond = asyncio.Condition()
        self.active, self.heavy = 0, False
        self.tabs: list[dict] = []

    async def enter(self, heavy: bool, mine: dict) -> None:
        async with self.cond:
            await self.cond.wait_for(lambda: not self.heavy)
            if heavy:
                self.heavy = True
                await self.cond.wait_for(lambda: self.active == 0)
                for tab in self.tabs:
                    if tab is not mine and tab["page"] is not None:
                        page, tab["page"] = tab["page"], None
                        await page.close()
            self.active += 1

    async def leave(self, heavy: bool) -> None:
        async with self.cond:
            self.active -= 1
            if heavy:
                self.heavy = False
            self.cond.notify_all()


async def _print_all(jobs, workers: int) -> None:
    """Print `jobs`: a list of (html, pdf), or a queue.Queue of (html, pdf, done) ended by None.
    Once a page fails no tab takes another: the pages left get that failure (`BackgroundPrinter`)."""
    import queue as queues
    from playwright.async_api import async_playwright
    source = jobs if isinstance(jobs, queues.Queue) else None
    queue = [] if source is not None else [(h, p, None) for h, p in reversed(jobs)]
    if source is None and not queue:
        return
    async with async_playwright() as pw:
        try:
            # the print fonts (postloan.run.print_fonts): Noto Sans CJK SC embedded, not drawn as Type 3
            browser = await pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS[1:],
                                               env=print_fonts.chromium_env())
        except Exception as exc:
            raise ExportError(f"无法启动 Chromium 打印 PDF (pdf_failed)：{type(exc).__name__}: {str(exc)[:300]}") from None
        # Pages from data print with JavaScript off and every request refused but the page itself:
        # a payload that slipped past escaping can neither run nor reach the network.
        context = await browser.new_context(java_script_enabled=False, offline=True, service_workers="block")

        allowed: set[str] = set()
        ended = [False]
        failed = [False]                    # a page failed: no tab takes another (the printer stops)

        async def only_the_page(route):
            if route.request.url in allowed:
                await route.continue_()
            else:
                await route.abort("blockedbyclient")
        await context.route("**/*", only_the_page)

        async def next_job():
            if source is None:
                return queue.pop() if queue and not failed[0] else None
            while not ended[0] and not failed[0]:
                try:
                    job = source.get_nowait()
                except queues.Empty:
                    await asyncio.sleep(0.05)
                    continue
                if job is None:
                    ended[0] = True
                    return None
                return job
            return None

        gate = PrintGate()

        async def worker():
            # One tab per worker, navigated from document to document: a new tab costs Chromium
            # about 0.2 s (24 workbook pages: 20 s in new tabs, 10 s in one). A tab keeps the memory
            # of what it laid out, so it is closed once it has printed PAGES_PER_TAB documents or
            # TAB_BYTES of HTML (a book's chunk is 0.6-0.8 MB: each chunk gets a fresh tab), and
            # when a heavy document waits to print alone.
            tab, printed, held = {"page": None}, 0, 0
            gate.tabs.append(tab)
            try:
                while (job := await next_job()) is not None:
                    html_path, pdf_path = job[0], job[1]
                    outcome = ExportError(f"PDF 打印已中止 (pdf_failed)：{html_path.name}")
                    try:
                        size = html_path.stat().st_size
                        heavy = longest_table(html_path.read_text(encoding="utf-8", errors="replace")) >= HEAVY_ROWS
                    except OSError:
                        size, heavy = 0, False      # goto fails below, naming the file
                    entered = False
                    try:
                        allowed.add(html_path.resolve().as_uri())
                        await gate.enter(heavy, tab)
                        entered = True
                        if tab["page"] is None:
                            tab["page"], printed, held = await context.new_page(), 0, 0
                        page = tab["page"]
                        try:
                            await page.goto(html_path.resolve().as_uri(), wait_until="load")
                            await page.pdf(path=str(pdf_path), format="A4", print_background=True,
                                           prefer_css_page_size=True)
                        except Exception as exc:
                            failed[0] = True
                            outcome = ExportError(f"PDF 打印失败 (pdf_failed)：{html_path.name}：{type(exc).__name__}: {exc}")
                            raise outcome from None
                        outcome = None
                        printed, held = printed + 1, held + size
                        if heavy or printed >= PAGES_PER_TAB or held >= TAB_BYTES or gate.heavy:
                            tab["page"] = None
                            await page.close()
                    finally:
                        if entered:
                            await gate.leave(heavy)
                        _tell(job, outcome)
            finally:
                if tab["page"] is not None:
                    await tab["page"].close()
        try:
            await asyncio.gather(*(worker() for _ in range(workers if source is not None else min(workers, len(queue)))))
        finally:
            await context.close()
            await browser.close()


def _clean(v):
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


def write_figures(figures: dict, path: Path) -> None:
    path.write_text(json.dumps({k: _clean(v) for k, v in figures.items()}, ensure_ascii=False, indent=2,
                               default=str) + "\n", encoding="utf-8")
