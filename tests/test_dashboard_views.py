"""The meeting pack's dashboard view is the run's own published page (its executed workbook),
not a second drawing: it shows what the PDF shows, with the run's workbook parameters."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from postloan.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wan_run(tmp_path_factory, sample_duckdb) -> Path:
    """A meeting-pack run whose parameters ask for headline amounts in 万元 (the dashboard's own
    default, and the workbook's, is 亿元)."""
    from postloan.paths import parameters_dir
    work = tmp_path_factory.mktemp("wan")
    params = work / "parameters"
    shutil.copytree(parameters_dir(), params)
    yaml_path = params / "meeting_pack.yaml"
    text = yaml_path.read_text(encoding="utf-8")
    assert "amount_unit: 亿元" in text
    yaml_path.write_text(text.replace("amount_unit: 亿元", "amount_unit: 万元"), encoding="utf-8")
    assert main(["run", "--source", str(sample_duckdb), "--out", str(work / "out"), "--products", "meeting_pack",
                 "--scopes", "all,B100", "--no-pdf", "--parameters-dir", str(params)]) == 0
    return next((work / "out").glob("*/run-*"))


def _view_html(run_dir: Path, scope: str) -> str:
    from postloan.dashboards import app
    InteractiveShell.instance()               # the kernel's display machinery, as in a Voila kernel
    outputs = app._rendered("meeting_pack", str(run_dir), scope, "")
    return "".join(o["data"].get("text/html", "") for o in outputs)


def _text(markup: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup))


def test_the_dashboard_shows_the_amounts_in_the_run_s_unit(wan_run):
    for scope in ("all", "B100"):
        figures = json.loads((wan_run / "meeting_pack" / f"{scope}.json").read_text(encoding="utf-8"))
        view = _view_html(wan_run, scope)
        wan = f"{figures['total_balance'] / 10_000:,.2f} 万元"      # worked out here, not by fmt.money
        yi = f"{figures['total_balance'] / 100_000_000:,.2f} 亿元"
        assert wan in view and yi not in view, scope
        assert f"下载本范围的全部明细（Excel：{scope}_明细表.xlsx）" in view


def test_the_view_holds_every_table_and_heading_of_the_published_html(wan_run):
    """Each text of the published HTML page (headings, tables, leads) is in the dashboard view,
    in the same order."""
    view = _text(_view_html(wan_run, "B100"))
    page = (wan_run / "meeting_pack" / "B100.html").read_text(encoding="utf-8")
    body = _text(page[page.index("<body>"):])
    headings = re.findall(r"<h[23][^>]*>(.*?)</h[23]>", page)
    assert len(headings) > 20
    at = 0
    for h in (_text(x).strip() for x in headings):
        found = view.find(h, at)
        assert found >= 0, h
        at = found
    assert len(view) >= len(body)
