"""Exports of an executed workbook: self-contained HTML, A4 PDF via the installed
Chromium, and the figures JSON."""
from __future__ import annotations

import html
import json
import math
import shutil
from pathlib import Path

import nbformat

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

CHROMIUM_CANDIDATES = ["chromium", "chromium-browser", "google-chrome"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


class ExportError(RuntimeError):
    pass


def find_chromium() -> str:
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    raise ExportError("未找到 Chromium，无法生成 PDF (chromium_missing)：请安装 Debian 软件包 chromium。")


def to_html(nb: nbformat.NotebookNode, title: str) -> str:
    """Outputs only (no input cells, no prompts), no script, stylesheet or font from outside."""
    from nbconvert import HTMLExporter
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_output_prompt=True,
                            exclude_input_prompt=True, anchor_link_text="")
    body, _ = exporter.from_notebook_node(nb)
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title>{PAGE_CSS}</head><body>{body}</body></html>\n")


class PdfPrinter:
    """One headless Chromium (through Playwright) for all the PDFs of a run."""

    def __enter__(self):
        from playwright.sync_api import sync_playwright
        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS[1:])
        return self

    def print(self, html_path: Path, pdf_path: Path) -> None:
        page = self.browser.new_page()
        try:
            page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
            page.pdf(path=str(pdf_path), format="A4", print_background=True, prefer_css_page_size=True)
        finally:
            page.close()

    def __exit__(self, *exc):
        self.browser.close()
        self._pw.stop()


def _clean(v):
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


def write_figures(figures: dict, path: Path) -> None:
    path.write_text(json.dumps({k: _clean(v) for k, v in figures.items()}, ensure_ascii=False, indent=2,
                               default=str) + "\n", encoding="utf-8")
