"""The scorecard configuration (parameters/scorecard_policy.yaml), validated on load."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from postloan.paths import parameters_dir
from postloan.policy import load_model

Duty = Literal["inspection", "inspection_quality", "warning_report", "warning_handling", "warning_entry",
               "new_npl", "recovery", "archive", "meeting_action"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Indicator(_Strict):
    id: str = Field(pattern=r"^kpi_[a-z_]+$")
    name: str
    formula: str
    duty: Duty
    weight: float = Field(ge=0)
    rule: Literal["linear_higher", "linear_lower", "points"]
    target: float
    zero_at: float
    direction: Literal["higher_better", "lower_better"]
    min_cases: int = Field(ge=1)
    unit: Literal["ratio", "points"]                # how the value is shown: 百分比 or 分
    per_months: int | None = Field(default=None, ge=1)   # target and zero_at are for this many months; scaled to the period
    target_yuan_per_month: float | None = Field(default=None, gt=0)   # recovery: the flat default per officer

    def bands_for(self, months: int) -> tuple[float, float]:
        """(target, zero_at) for a period of `months` months."""
        if self.per_months is None:
            return self.target, self.zero_at
        k = months / self.per_months
        return self.target * k, self.zero_at * k

    @model_validator(mode="after")
    def _consistent(self):
        if self.rule == "linear_higher" and not self.zero_at < self.target:
            raise ValueError(f"{self.id}: linear_higher needs zero_at < target")
        if self.rule == "linear_lower" and not self.zero_at > self.target:
            raise ValueError(f"{self.id}: linear_lower needs zero_at > target")
        if self.duty == "recovery" and self.target_yuan_per_month is None:
            raise ValueError(f"{self.id}: the recovery indicator needs target_yuan_per_month")
        return self


class Deduction(_Strict):
    id: str
    name: str
    duty: Literal["collection_conduct", "handover_incomplete", "accountability_serious_lapse"]
    points_per_case: float = Field(ge=0)
    max_points: float = Field(ge=0)


class Veto(_Strict):
    id: str
    name: str
    duty: Literal["red_warning_unreported", "accountability_not_exempt_direct"]
    cap_grade: str


class Grade(_Strict):
    id: str
    name: str
    min: float


class Forced(_Strict):
    enabled: bool
    max_share: dict[str, float]


class Rating(_Strict):
    min_scored_weight: float = Field(ge=0)
    graded_periods: list[Literal["month", "quarter", "year"]] = Field(min_length=1)   # other periods: 过程监测, no grade or rank


class Peers(_Strict):
    min_peers: int = Field(ge=1)


class ScorecardConfig(_Strict):
    version: int
    indicators: list[Indicator]
    deductions: list[Deduction]
    vetoes: list[Veto]
    grades: list[Grade]
    forced_distribution: Forced
    rating: Rating
    peers: Peers
    trend_periods: int = Field(ge=1, le=24)
    inspection_quality_points: dict[Literal["excellent", "good", "fair", "poor"], float]   # points per quality grade
    roles: list[Literal["account_manager", "risk_manager", "post_loan_manager", "branch_head"]]

    @model_validator(mode="after")
    def _check(self):
        ids = [i.id for i in self.indicators] + [d.id for d in self.deductions] + [v.id for v in self.vetoes]
        if len(ids) != len(set(ids)):
            raise ValueError("indicator, deduction and veto ids must be unique")
        if sum(i.weight for i in self.indicators) <= 0:
            raise ValueError("the weights must not all be 0")
        mins = [g.min for g in self.grades]
        if mins != sorted(mins, reverse=True) or mins[-1] != 0:
            raise ValueError("grades must be listed from the highest band down to one with min 0")
        grade_ids = {g.id for g in self.grades}
        for v in self.vetoes:
            if v.cap_grade not in grade_ids:
                raise ValueError(f"{v.id}: cap_grade {v.cap_grade!r} is not a grade id")
        for g in self.forced_distribution.max_share:
            if g not in grade_ids:
                raise ValueError(f"forced_distribution: {g!r} is not a grade id")
        return self

    def grade_for(self, score: float) -> Grade:
        return next(g for g in self.grades if score >= g.min)


def load_scorecard_config(path: Path | str | None = None) -> ScorecardConfig:
    return load_model(Path(path) if path else parameters_dir() / "scorecard_policy.yaml", ScorecardConfig)
