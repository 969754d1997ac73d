"""parameters/accountability_policy.yaml, validated on load."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from postloan.paths import parameters_dir
from postloan.policy import load_model

DUTIES = ["first_inspection", "routine_inspection", "warning_report", "warning_handling", "warning_entry",
          "collateral_revaluation", "title_warrant", "entrusted_payment", "collection_start", "collection_conduct",
          "limitation", "guarantee_period", "archives"]
Severity = Literal["minor", "major", "serious"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Selection(_Strict):
    became_npl: bool
    written_off: bool
    transferred: bool
    loan_ids: list[str]


class DutyRule(_Strict):
    stage: Literal["post_loan", "collection"]
    severity: Severity


class Scope(_Strict):
    customer_types: list[str]
    products: list[str]
    max_customer_credit: float = Field(gt=0)


class LossPoints(_Strict):
    over: float = Field(ge=0)
    points: float = Field(ge=0)


class Mitigation(_Strict):
    self_reported: float = Field(ge=0)
    loss_recovered: float = Field(ge=0)
    recovered_share: float = Field(gt=0, le=1)      # loss_recovered when recoveries reach this share of the case balance


class Rung(_Strict):
    id: str
    name: str
    min: float


class Determination(_Strict):
    primary_share: float = Field(gt=0, le=1)
    leadership_min_points: float = Field(ge=0)
    leadership_divisor: int = Field(ge=1)           # a branch head bears 1/N of the case's lapse points
    exempt_max_points: float = Field(ge=0)
    reducible_max_points: float = Field(ge=0)
    loss_points: list[LossPoints]
    repeat_points_per_case: float = Field(ge=0)
    mitigation_points: Mitigation
    sanction_ladder: list[Rung]

    @model_validator(mode="after")
    def _ladder(self):
        mins = [r.min for r in self.sanction_ladder]
        if mins != sorted(mins, reverse=True) or mins[-1] != 0:
            raise ValueError("sanction_ladder must run from the top rung down to one with min 0")
        return self

    def sanction(self, points: float) -> Rung:
        return next(r for r in self.sanction_ladder if points >= r.min)


class AccountabilityConfig(_Strict):
    version: int
    case_selection: Selection
    duties: dict[str, DutyRule]
    stages: dict[str, str]
    severity_points: dict[Severity, float]
    late_grace_days: int = Field(ge=0)
    inclusive_scope: Scope
    determination: Determination

    @model_validator(mode="after")
    def _all_duties(self):
        missing = sorted(set(DUTIES) - set(self.duties))
        unknown = sorted(set(self.duties) - set(DUTIES))
        if missing or unknown:
            raise ValueError(f"duties must list exactly {DUTIES}; missing {missing}, unknown {unknown}")
        return self


def load_accountability_config(path: Path | str | None = None) -> AccountabilityConfig:
    return load_model(Path(path) if path else parameters_dir() / "accountability_policy.yaml", AccountabilityConfig)
