"""parameters/accountability_policy.yaml, validated on load."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from postloan.paths import parameters_dir
from postloan.policy import load_model

DUTIES = ["first_inspection", "routine_inspection", "warning_report", "warning_handling", "warning_entry",
          "collateral_revaluation", "title_warrant", "entrusted_payment", "collection_start", "collection_conduct",
          "limitation", "guarantee_period", "legal_deadline", "archives"]
Severity = Literal["minor", "major", "serious"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Selection(_Strict):
    became_npl: bool
    written_off: bool
    transferred: bool
    right_lost: bool            # a limitation, guarantee period or other legal deadline ran out in the period
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


class Degrees(_Strict):
    direct_if_serious: bool                         # an officer with a serious lapse bears 直接责任
    primary_share: float = Field(gt=0, le=1)        # otherwise: this share of the case's points or more -> 主要


class Leadership(_Strict):
    min_case_points: float = Field(ge=0)            # the branch heads bear 领导责任 when the case's points reach this
    divisor: int = Field(ge=1)                      # … each one part in this many of the case's points
    branches: list[Literal["operating", "managing"]] = Field(min_length=1)


Outcome = Literal["exempt", "reducible", "not_exempt"]


class Outcomes(_Strict):
    """Exoneration by the worst counted lapse of the officer in the case."""
    none: Outcome
    minor: Outcome
    general_performed: Outcome      # general lapses, duties basically performed
    general: Outcome
    serious: Outcome


class Exoneration(_Strict):
    negative_list: list[str]                        # duties whose lapse bars 免责 (负面清单)
    basically_performed_share: float = Field(gt=0, le=1)
    inclusive: Outcomes                             # 普惠 scope (金规〔2024〕11号)
    other: Outcomes                                 # outside it: the bank's general rules
    reducible_factor: float = Field(ge=0, le=1)     # 可减责免责: this share of the points is sanctioned

    @model_validator(mode="after")
    def _serious_never_exempt(self):
        for name in ("inclusive", "other"):
            if getattr(self, name).serious != "not_exempt":
                raise ValueError(f"{name}.serious must be not_exempt (金规〔2024〕11号: 严重失职不得免责)")
        unknown = sorted(set(self.negative_list) - set(DUTIES))
        if unknown:
            raise ValueError(f"negative_list names unknown duties {unknown}")
        return self


class Determination(_Strict):
    degrees: Degrees
    leadership: Leadership
    exoneration: Exoneration
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
    default_dpd_over: int = Field(ge=0)             # a loan defaulted when dpd first exceeded this (or became NPL)
    after_default_counts: list[str]                 # duties whose lapse counts even when due after the default
    inclusive_scope: Scope
    determination: Determination

    @model_validator(mode="after")
    def _all_duties(self):
        missing = sorted(set(DUTIES) - set(self.duties))
        unknown = sorted(set(self.duties) - set(DUTIES))
        if missing or unknown:
            raise ValueError(f"duties must list exactly {DUTIES}; missing {missing}, unknown {unknown}")
        bad = sorted(set(self.after_default_counts) - set(DUTIES))
        if bad:
            raise ValueError(f"after_default_counts names unknown duties {bad}")
        return self


def load_accountability_config(path: Path | str | None = None) -> AccountabilityConfig:
    return load_model(Path(path) if path else parameters_dir() / "accountability_policy.yaml", AccountabilityConfig)
