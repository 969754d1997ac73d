"""A dashboard shows a run's view with the run's own workbook parameters, never the workbook's
defaults: the meeting pack's view is the run's own published page (its executed workbook);
the scorecards and the workout book list as many rows as the run's parameter files said."""
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


def _view_html(run_dir: Path, scope: str, product: str = "meeting_pack", item: str = "") -> str:
    from postloan.dashboards import app
    InteractiveShell.instance()               # the kernel's display machinery, as in a Voila kernel
    outputs = app._rendered(product, str(run_dir), scope, item)
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


@pytest.fixture(scope="module")
def short_lists_run(tmp_path_factory, sample_duckdb) -> Path:
    """Scorecards and workout book run with short lists: 2 unmet duties on an officer's page
    (the workbook's default is 8) and 3 rows per workout register (default 30)."""
    from postloan.paths import parameters_dir
    work = tmp_path_factory.mktemp("short")
    params = work / "parameters"
    shutil.copytree(parameters_dir(), params)
    for name, old, new in (("scorecards", "top_n: 8 ", "top_n: 2 "), ("workout", "top_n: 30 ", "top_n: 3 ")):
        path = params / f"{name}.yaml"
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new), encoding="utf-8")
    assert main(["run", "--source", str(sample_duckdb), "--out", str(work / "out"), "--products", "scorecards,workout",
                 "--scopes", "all", "--no-pdf", "--parameters-dir", str(params)]) == 0
    return next((work / "out").glob("*/run-*"))


def _cut_lists(markup: str) -> list[tuple[int, int]]:
    """(rows left out, rows in all) of each list the view cut short."""
    return [(int(a.replace(",", "")), int(b.replace(",", "")))
            for a, b in re.findall(r"另有 ([\d,]+) 条，共 ([\d,]+) 条", markup)]


def test_the_workout_registers_list_the_run_s_number_of_rows(short_lists_run):
    cut = _cut_lists(_view_html(short_lists_run, "all", "workout"))
    assert cut, "the sample's registers are longer than 3 rows"
    assert all(total - more == 3 for more, total in cut), cut


def test_an_officer_s_page_lists_the_run_s_number_of_unmet_duties(short_lists_run):
    officers = json.loads((short_lists_run / "scorecards" / "all.json").read_text(encoding="utf-8"))["officers"]
    cut = [c for o in officers for c in _cut_lists(_view_html(short_lists_run, "all", "scorecards", o["officer_id"]))]
    assert any(total > 8 for _, total in cut), "some officer has more unmet duties than the default lists"
    assert all(total - more == 2 for more, total in cut), cut
