"""The products a run can build. A new product is one entry here: its workbook, its
parameter model, the period kinds it accepts, how its marts are built (once per run),
and its machine-readable figures and extra exports per scope."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pydantic import BaseModel

from postloan.run.params import AccountabilityParams, MeetingPackParams, ScorecardParams


def _meeting_build(extract, period, params):
    from postloan.marts.build import build_marts
    return build_marts(extract, period.label, params.policy, params.calendar)


def _meeting_figures(marts, scope):
    from postloan.marts.build import figures_for_scope
    return figures_for_scope(marts, scope)


def _scorecard_build(extract, period, params):
    from postloan.scorecard.build import build_scorecard_marts
    return build_scorecard_marts(extract, period, params.policy, params.calendar, params.scorecard,
                                 params.accountability, recovery_targets=params.recovery_targets)


def _scorecard_figures(marts, scope):
    from postloan.scorecard.export import scorecard_figures
    return scorecard_figures(marts, scope)


def _scorecard_excel(marts, scope, folder: Path):
    from postloan.scorecard.export import write_excel
    return [("xlsx", write_excel(marts, scope, folder / f"{scope}.xlsx"))]


def _scorecard_parts(marts, scope, settings) -> int:
    """Officer pages come in sets of `officers_per_part`, one notebook each (no kernel per officer)."""
    from postloan.scorecard.export import page_sets
    per = settings.get("officers_per_part", ScorecardParams.model_fields["officers_per_part"].default)
    n = len(page_sets(marts, scope, per))
    return 0 if n == 1 else n


def _accountability_build(extract, period, params):
    from postloan.accountability.build import build_accountability_marts
    return build_accountability_marts(extract, period, params.policy, params.calendar, params.accountability)


def _accountability_figures(marts, scope):
    from postloan.accountability.export import accountability_figures
    return accountability_figures(marts, scope)


def _accountability_files(marts, scope, folder: Path):
    from postloan.accountability.export import write_case_files, write_register
    return [("xlsx", write_register(marts, scope, folder / f"{scope}.xlsx"))] + write_case_files(marts, scope, folder)


@dataclass(frozen=True)
class Product:
    name: str
    label: str
    workbook: str                          # file under workbooks/
    params_model: type[BaseModel]
    period_kinds: tuple[str, ...]
    build: Callable                        # (extract, period, ParameterSet) -> Marts
    figures: Callable                      # (marts, scope) -> JSON-able figures
    extra_exports: Callable | None = None  # (marts, scope, folder) -> [(kind, path)]
    parts: Callable | None = None          # (marts, scope, settings) -> extra notebooks `part`=1..n (0: none)


PRODUCTS = {
    "meeting_pack": Product("meeting_pack", "贷后管理例会材料", "meeting_pack.ipynb", MeetingPackParams, ("month",),
                            _meeting_build, _meeting_figures),
    "scorecards": Product("scorecards", "贷后管理考核评价", "scorecards.ipynb", ScorecardParams,
                          ("month", "quarter", "year"), _scorecard_build, _scorecard_figures, _scorecard_excel,
                          _scorecard_parts),
    "accountability": Product("accountability", "贷后管理工作责任追究", "accountability.ipynb", AccountabilityParams,
                              ("month", "quarter", "year"), _accountability_build, _accountability_figures,
                              _accountability_files),
}
