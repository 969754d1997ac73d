"""A published page shown again: the outputs of a run's own executed workbook, in the order
and markup of its HTML and PDF. A dashboard that shows them draws nothing a second time, so
it shows exactly what the meeting was given (with the run's own workbook parameters: the
amount unit, the rows listed) and a scope's first visit costs a file read, not a render."""
from __future__ import annotations

import json
from pathlib import Path

from IPython.display import HTML, display

from postloan.run.export import WORKBENCH_ONLY, markdown_html

_SHOWN = ("display_data", "execute_result")     # a stream or an error is not part of a page


def page_outputs(path: Path) -> list[list[dict]]:
    """The display bundles of each published cell of an executed workbook: a markdown cell as
    the page writes it, a code cell's displayed outputs as they were displayed."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = []
    for cell in nb["cells"]:
        if WORKBENCH_ONLY in cell.get("metadata", {}).get("tags", []):
            continue
        if cell["cell_type"] == "markdown":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cells.append([{"data": {"text/html": f'<div class="pl">{markdown_html(source)}</div>'}, "metadata": {}}])
        elif cell["cell_type"] == "code":
            shown = [{"data": o["data"], "metadata": o.get("metadata", {})}
                     for o in cell.get("outputs", []) if o.get("output_type") in _SHOWN]
            if shown:
                cells.append(shown)
    return cells


def show_page(path: Path, after_first: str = "") -> None:
    """Display a published page; `after_first` (HTML) goes after the first cell that shows
    something (the page's header), e.g. the dashboard's download link. Consecutive HTML
    outputs go out as one (the browser renders one output instead of a hundred)."""
    html: list[str] = []

    def flush():
        if html:
            display(HTML("".join(html)))
            html.clear()
    for i, bundles in enumerate(page_outputs(path)):
        for b in bundles:
            if "text/html" in b["data"]:
                h = b["data"]["text/html"]
                html.append("".join(h) if isinstance(h, list) else h)
            else:
                flush()
                display(b["data"], metadata=b["metadata"], raw=True)
        if i == 0 and after_first:
            html.append(after_first)
    flush()
