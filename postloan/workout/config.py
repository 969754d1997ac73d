"""parameters/workout_policy.yaml, validated on load (NPL_WORKOUT.md defaults)."""
from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from postloan.paths import parameters_dir
from postloan.policy import CustomerType, load_model

Rate = Field(ge=0, le=1)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cases(_Strict):
    queue_dpd: int = Field(ge=0)


class StageAction(_Strict):
    id: str
    label: str
    by_dpd: int = Field(ge=0)
    channels: list[str] = []              # a collection action on one of these channels does it
    evidence: bool = False                # … only with evidence (a signed receipt)
    legal_case: bool = False              # a legal case filed does it
    customer_types: list[CustomerType] | None = None

    @model_validator(mode="after")
    def _how(self):
        if not self.channels and not self.legal_case:
            raise ValueError(f"{self.id}: say how the action is done (channels or legal_case)")
        return self


class Valuation(_Strict):
    realisation: dict[str, float]
    disposal_tax_rate: float = Rate
    guarantor_rate: dict[str, float]
    unsecured_rate: dict[CustomerType, float]
    unsecured_rate_insolvent: float = Rate
    discount_rate: float = Field(ge=0, le=1)
    bank_holding_cost_rate: float = Rate

    @model_validator(mode="after")
    def _rates(self):
        for name in ("realisation", "guarantor_rate", "unsecured_rate"):
            bad = {k: v for k, v in getattr(self, name).items() if not 0 <= v <= 1}
            if bad:
                raise ValueError(f"{name}: rates must be between 0 and 1: {bad}")
        return self


class Negotiated(_Strict):
    negotiated_share: float = Rate
    collection_cost_rate: float = Rate
    months: int = Field(ge=0)


class Litigation(_Strict):
    no_assets_prob: float = Rate
    lawyer_rate: float = Rate
    months: int = Field(ge=0)
    preservation: bool


class RealizeSecurity(_Strict):
    months: int = Field(ge=0)


class Restructure(_Strict):
    restructure_success: float = Rate
    restructure_recovery: float = Rate
    months: int = Field(ge=0)
    recent_months: int = Field(ge=0)


class Foreclosure(_Strict):
    foreclosure_ratio: float = Rate
    deed_tax_rate: float = Rate
    asset_holding_rate: float = Rate
    months_to_title: int = Field(ge=0)
    months_to_sell: int = Field(ge=0)
    kinds: list[str]


class Transfer(_Strict):
    buyer_cost_rate: float = Rate
    buyer_discount_rate: float = Field(ge=0, le=1)
    transfer_cost_rate: float = Rate
    months: int = Field(ge=0)
    min_package_accounts: int = Field(ge=1)


class WriteOffRoute(_Strict):
    post_writeoff_share: float = Rate
    months: int = Field(ge=0)


class Securitisation(_Strict):
    abs_min_pool: float = Field(gt=0)
    abs_price_ratio: float = Rate
    abs_cost_rate: float = Rate
    months: int = Field(ge=0)


class Routes(_Strict):
    negotiated: Negotiated
    litigation: Litigation
    realize_security: RealizeSecurity
    restructure: Restructure
    foreclosure: Foreclosure
    transfer: Transfer
    write_off: WriteOffRoute
    securitisation: Securitisation


class Sensitivity(_Strict):
    discount_rate_points: float = Field(ge=0, le=0.5)
    realisation_factors: list[float] = Field(min_length=1)


class WriteOff(_Strict):
    small_claim_limit: dict[CustomerType, float]
    small_claim_days: int = Field(ge=0)


class Package(_Strict):
    reserve_ratio: float = Field(gt=0, le=2)
    loan_ids: list[str]


class ForeclosedAssets(_Strict):
    deadline_years: dict[str, int]
    real_estate_kinds: list[str]
    equity_kinds: list[str]
    warn_days: int = Field(ge=0)


class Band(_Strict):
    up_to: float | None
    rate: float = Rate


class FeeSchedule(_Strict):
    flat: float = Field(ge=0)
    flat_up_to: float = Field(ge=0)
    bands: list[Band] = Field(min_length=1)
    max_fee: float | None = None

    @model_validator(mode="after")
    def _ordered(self):
        ups = [b.up_to for b in self.bands]
        if ups[-1] is not None or any(u is None for u in ups[:-1]):
            raise ValueError("only the last band is open (up_to: null)")
        bounded = [self.flat_up_to] + ups[:-1]
        if bounded != sorted(bounded) or len(set(bounded)) != len(bounded):
            raise ValueError("band limits must rise above flat_up_to")
        return self


class Fees(_Strict):
    case: FeeSchedule
    enforcement: FeeSchedule
    preservation: FeeSchedule
    payment_order_share: float = Rate


class WorkoutConfig(_Strict):
    version: int
    cases: Cases
    stages: list[StageAction]
    valuation: Valuation
    routes: Routes
    sensitivity: Sensitivity
    write_off: WriteOff
    package: Package
    foreclosed_assets: ForeclosedAssets
    fees: Fees

    @model_validator(mode="after")
    def _deadlines(self):
        missing = {"real_estate", "equity", "movable"} - set(self.foreclosed_assets.deadline_years)
        if missing:
            raise ValueError(f"foreclosed_assets.deadline_years needs {sorted(missing)}")
        return self


def load_workout_config(path: Path | str | None = None) -> WorkoutConfig:
    return load_model(Path(path) if path else parameters_dir() / "workout_policy.yaml", WorkoutConfig)
