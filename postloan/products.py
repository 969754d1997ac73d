"""The products of the suite. A product is one package (its marts, figures, exports and
presenter) plus one `Product` entry here: its workbook, its parameter model, the period
kinds it accepts, how its marts are built (once per run), its figures and extra exports per
scope, and how its dashboard draws a view and offers a third selector. The runner, the
CLI, the dashboards (server, app, request check, catalog) and the parameter checks all read
this table; nothing else names a product."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd
from pydantic import BaseModel

from postloan.run.params import (AccountabilityParams, MeetingPackParams, ScorecardParams, WorkoutParams,
                                 run_settings)


def _period_reads(period, params=None):
    """What every product reads of every loan's month-ends: those of the period and the one
    before it (history beyond, for the loans that went bad, is always read)."""
    from data_connectors.in_source import Needs
    return Needs({str(pd.Period(period.start, "M") - 1), *period.months})


def _meeting_reads(period, params):
    from postloan.marts.portfolio import trend_months
    needs = _period_reads(period)
    needs.trend_months = trend_months(pd.Period(period.last_month, "M"))
    return needs


def _scorecard_reads(period, params):
    from data_connectors.in_source import Needs
    from postloan.scorecard.build import trend_periods
    return Needs(set().union(*(_period_reads(p).months for p in trend_periods(period, params.scorecard))))


def _meeting_build(extract, period, params):
    from postloan.marts.build import build_marts
    return build_marts(extract, period.label, params.policy, params.calendar, workout_cfg=params.workout,
                       targets=params.targets)


def _meeting_files(marts, scope, folder: Path, settings: dict):
    from postloan.present.pack_appendix import write_appendix
    return [("xlsx", write_appendix(marts, scope, folder))]


def _meeting_figures(marts, scope):
    from postloan.marts.build import figures_for_scope
    return figures_for_scope(marts, scope)


def _scorecard_build(extract, period, params):
    from postloan.scorecard.build import build_scorecard_marts
    return build_scorecard_marts(extract, period, params.policy, params.calendar, params.scorecard,
                                 params.accountability, recovery_targets=params.recovery_targets)


def _review_tasks(extract, periods, params) -> dict:
    """The accountability review of each period, once per run (keyed so that two products share it)."""
    from postloan.accountability.build import build_accountability_marts
    return {("accountability_review", p.label): (lambda p=p: build_accountability_marts(
        extract, p, params.policy, params.calendar, params.accountability)) for p in periods}


def _scorecard_prefetch(extract, period, params) -> dict:
    from postloan.scorecard.build import trend_periods
    return _review_tasks(extract, trend_periods(period, params.scorecard, extract.months()), params)


def _accountability_prefetch(extract, period, params) -> dict:
    return _review_tasks(extract, [period], params)


def _scorecard_figures(marts, scope):
    from postloan.scorecard.export import scorecard_figures
    return scorecard_figures(marts, scope)


def _scorecard_files(marts, scope, folder: Path, settings: dict):
    from postloan.scorecard.export import write_excel, write_officer_pages
    top_n = settings.get("top_n", ScorecardParams.model_fields["top_n"].default)
    return [("xlsx", write_excel(marts, scope, folder / f"{scope}.xlsx"))] + write_officer_pages(marts, scope, folder, top_n)


def _accountability_build(extract, period, params):
    from postloan.accountability.build import build_accountability_marts
    return build_accountability_marts(extract, period, params.policy, params.calendar, params.accountability,
                                      workout_cfg=params.workout)


def _accountability_figures(marts, scope):
    from postloan.accountability.export import accountability_figures
    return accountability_figures(marts, scope)


def _accountability_files(marts, scope, folder: Path, settings: dict):
    from postloan.accountability.export import write_case_files, write_register
    return [("xlsx", write_register(marts, scope, folder / f"{scope}.xlsx"))] + write_case_files(marts, scope, folder)


def _meeting_render(run_dir, scope, item):
    """The run's own page (its executed workbook), with the scope's 明细表 to download: the
    dashboard shows what the meeting was given, drawn once by the run."""
    from postloan.dashboards.published_page import show_page
    from postloan.present.pack_appendix import download_link
    show_page(Path(run_dir) / "meeting_pack" / f"{scope}.ipynb", after_first=download_link(run_dir, scope))


def _scorecard_render(run_dir, scope, item):
    from IPython.display import HTML, display
    from postloan.present import scorecards as sc
    book = sc.load_scorecards(run_dir, scope, run_settings(PRODUCTS["scorecards"], run_dir).top_n)
    if item:                             # one officer's page
        display(HTML(sc.officer_page_html(book, item)))
    else:
        sc.show_ranking(book)


def _scorecard_items(run_dir, scope):
    from postloan.dashboards.catalog import officer_options
    return officer_options(run_dir, scope)


def _accountability_render(run_dir, scope, item):
    from IPython.display import HTML, display
    from postloan.present import accountability as ac
    marts, scope = ac.load_review(run_dir, scope)
    if item:                             # one case file
        display(HTML(ac.case_page_html(marts, item)))
    else:
        ac.show_register(marts, scope)


def _accountability_items(run_dir, scope):
    """The case files of the scope's cases: written once in accountability/cases/ (runs
    published before the case books: one folder per scope, <scope>_cases/)."""
    from postloan.dashboards.catalog import published_files
    from postloan.marts.scope import scope_frame
    if (Path(run_dir) / "accountability" / f"{scope}_cases").is_dir():
        return published_files(run_dir, "accountability", f"{scope}_cases")
    files = dict(published_files(run_dir, "accountability", "cases"))
    path = Path(run_dir) / "marts" / "accountability" / "accountability_cases.parquet"
    if not path.exists():
        return []
    from postloan.run.export import page_file_name
    ids = scope_frame(pd.read_parquet(path), scope)["case_id"]
    return [(i, i) for i in ids if page_file_name(i) in files]


def _workout_build(extract, period, params):
    from postloan.workout.build import build_workout_marts
    return build_workout_marts(extract, period.label, params.policy, params.calendar, params.workout)


def _workout_figures(marts, scope):
    from postloan.workout.export import workout_figures
    return workout_figures(marts, scope)


def _workout_files(marts, scope, folder: Path, settings: dict):
    from postloan.workout.export import write_case_files, write_excel
    return [("xlsx", write_excel(marts, scope, folder / f"{scope}.xlsx"))] + write_case_files(marts, scope, folder)


def _workout_render(run_dir, scope, item):
    from postloan.present import workout as wk
    marts, scope = wk.load_book(run_dir, scope)
    if item:
        wk.show_case(marts, item)
    else:
        wk.show_book(marts, scope, run_settings(PRODUCTS["workout"], run_dir).top_n)


def _workout_items(run_dir, scope):
    """The case files of the scope's cases (each printed once, in workout/cases/)."""
    import json
    from postloan.dashboards.catalog import published_files
    files = dict(published_files(run_dir, "workout", "cases"))
    path = Path(run_dir) / "workout" / f"{scope}.json"
    if not path.exists():
        return []
    from postloan.run.export import page_file_name
    ids = json.loads(path.read_text(encoding="utf-8")).get("case_ids", [])
    return [(i, i) for i in ids if page_file_name(i) in files]


@dataclass(frozen=True)
class Item:
    """A dashboard's third selector: the query key, its label, the label of "all", and the
    published choices of a run and scope (the allow-list)."""
    key: str
    label: str
    all_label: str
    options: Callable                      # (run_dir, scope) -> [(key, label)]


@dataclass(frozen=True)
class Product:
    name: str
    label: str
    workbook: str                          # file under workbooks/
    params_model: type[BaseModel]
    period_kinds: tuple[str, ...]
    build: Callable                        # (extract, period, ParameterSet) -> Marts
    figures: Callable                      # (marts, scope) -> JSON-able figures
    # (marts, scope, folder, workbook settings) -> [(kind, path)]; "case" pages are printed once
    # and bound into the scope's book <scope>_<book>.pdf
    extra_exports: Callable | None = None
    render: Callable | None = None         # (run_dir, scope, item) -> displays one dashboard view
    item: Item | None = None               # the dashboard's third selector
    presenter: str = ""                    # the module a dashboard kernel imports before the request (preheat)
    # (period, ParameterSet) -> data_connectors.in_source.Needs: the month-ends of every loan the
    # marts read, and the months summed by branch (--compute-in-source fetches only those)
    loan_month_reads: Callable = _period_reads
    # (extract, period, ParameterSet) -> {key: task}: independent parts of the build that the
    # runner computes on both cores beforehand (each task fills the extract's memo; the build reads it)
    prefetch: Callable | None = None
    book: str = "cases"                    # the scope's book of "case" pages: <scope>_<book>.pdf
    book_title: str = "案卷汇编"


PRODUCTS = {
    "meeting_pack": Product("meeting_pack", "贷后管理例会材料", "meeting_pack.ipynb", MeetingPackParams, ("month",),
                            _meeting_build, _meeting_figures, _meeting_files, render=_meeting_render,
                            presenter="postloan.dashboards.published_page", loan_month_reads=_meeting_reads),
    "scorecards": Product("scorecards", "贷后管理考核评价", "scorecards.ipynb", ScorecardParams,
                          ("month", "quarter", "year"), _scorecard_build, _scorecard_figures, _scorecard_files,
                          _scorecard_render, Item("officer", "客户经理", "全部（排名表）", _scorecard_items),
                          "postloan.present.scorecards", _scorecard_reads, _scorecard_prefetch,
                          book="pages", book_title="个人考核评价表汇编"),
    "accountability": Product("accountability", "贷后管理工作责任追究", "accountability.ipynb", AccountabilityParams,
                              ("month", "quarter", "year"), _accountability_build, _accountability_figures,
                              _accountability_files, _accountability_render,
                              Item("case", "案卷", "登记簿", _accountability_items), "postloan.present.accountability",
                              prefetch=_accountability_prefetch),
    "workout": Product("workout", "不良资产清收处置", "workout.ipynb", WorkoutParams, ("month",),
                       _workout_build, _workout_figures, _workout_files, _workout_render,
                       Item("case", "案卷", "登记簿", _workout_items), "postloan.present.workout"),
}
