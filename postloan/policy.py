"""Policy and calendar from parameters/, validated on load.

`load_policy()` reads parameters/policy.yaml into a pydantic model that rejects
unknown keys and bad values with a message naming the key; `load_calendar()`
reads parameters/calendar.yaml into a `WorkCalendar`.
"""
from __future__ import annotations

import datetime as dt
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from postloan.paths import parameters_dir

Class = Literal["normal", "special_mention", "substandard", "doubtful", "loss"]
CLASS_ORDER = ["normal", "special_mention", "substandard", "doubtful", "loss"]
NPL_CLASSES = ["substandard", "doubtful", "loss"]
Level = Literal["red", "orange", "yellow"]
CustomerType = Literal["corporate", "small_business", "individual"]


class ParameterError(ValueError):
    """A parameters file is missing, unreadable or invalid; the message names the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Floor(_Strict):
    id: str
    dpd_over: int = Field(ge=0)
    at_least: Class


class DpdBand(_Strict):
    id: str
    label: str
    from_: int = Field(alias="from", ge=1)
    to: int | None = None


class FirstInspection(_Strict):
    id: str
    days: dict[CustomerType, int]


class RoutineInspection(_Strict):
    id: str
    qualifying_kinds: list[Literal["routine", "special", "extended", "supervisory", "first"]]
    window: dict[CustomerType, Literal["month", "quarter", "year"]]
    risky_window: Literal["month", "quarter", "year"]
    risky_classifications: list[Class]
    risky_warning_levels: list[Level]


class Inspection(_Strict):
    quality_lookback_months: int = Field(ge=1)
    first: FirstInspection
    routine: RoutineInspection


class LevelDays(_Strict):
    id: str
    red: int = Field(ge=0)
    orange: int = Field(ge=0)
    yellow: int = Field(ge=0)

    def for_level(self, level: str) -> int:
        return getattr(self, level)


class IdDays(_Strict):
    id: str
    days: int = Field(ge=0)


class WarningPolicy(_Strict):
    report_working_days: LevelDays
    handling_working_days: LevelDays
    entry_working_days: IdDays


class CollateralPolicy(_Strict):
    id: str
    max_age_months: dict[str, int]
    ltv_cap: dict[str, float]            # 抵质押率上限 by collateral kind; `default` for the others

    @field_validator("ltv_cap")
    @classmethod
    def _caps(cls, v):
        if "default" not in v:
            raise ValueError("ltv_cap needs a `default`")
        bad = {k: x for k, x in v.items() if not 0 < x <= 1}
        if bad:
            raise ValueError(f"ltv_cap values must be in (0, 1]: {bad}")
        return v


class TitleWarrant(_Strict):
    id: str
    days: int = Field(ge=0)
    guarantee_types: list[Literal["credit", "guarantee", "mortgage", "pledge"]]


class EntrustedPayment(_Strict):
    id: str
    single_payment_over: dict[str, float]
    prohibited_payees: list[str]


class Conduct(_Strict):
    id: str
    quiet_from: str
    quiet_until: str
    quiet_channels: list[str]
    forbidden_parties: list[str]

    @field_validator("quiet_from", "quiet_until")
    @classmethod
    def _hhmm(cls, v):
        dt.datetime.strptime(v, "%H:%M")
        return v


class Stages(_Strict):
    pre_due_days: int = Field(ge=0)
    early_max_dpd: int = Field(ge=1)
    legal_over_dpd: int = Field(ge=1)


class CollectionPolicy(_Strict):
    start: IdDays
    conduct: Conduct
    stages: Stages


class IdOnly(_Strict):
    id: str


class ProposalDays(_Strict):
    """Days after month-end by which a proposed resolution is due, by what it answers."""
    default: int = Field(ge=1)
    red_warning: int = Field(ge=1)
    legal_deadline: int = Field(ge=1)


class MeetingActions(_Strict):
    id: str
    proposal_days: ProposalDays
    legal_horizon_days: int = Field(ge=1)      # a legal deadline this close gets a proposed resolution


class Years(_Strict):
    id: str
    years: int = Field(ge=1)


class Months(_Strict):
    id: str
    months: int = Field(ge=1)


class Legal(_Strict):
    limitation_years: Years
    guarantee_default_months: Months
    enforcement_years: Years
    notarized_years: Years
    general_guarantee_after_enforcement_years: Years
    bankruptcy_claim_days: IdDays
    horizons_days: list[int]


class DebtorRule(_Strict):
    id: str
    customer_types: list[CustomerType]
    npl_share_over: float = Field(ge=0, lt=1)
    at_least: Class


class RestructuredRule(_Strict):
    id: str
    observation_months: int = Field(ge=1)
    at_least: Class


class UpgradeRule(_Strict):
    id: str
    clean_month_ends: int = Field(ge=1)


class ClassificationRules(_Strict):
    """商业银行金融资产风险分类办法 (2023): the floors a classification may not go below."""
    technical_overdue_days: IdDays
    dpd_floors: list[Floor]
    debtor: DebtorRule
    restructured: RestructuredRule
    upgrade: UpgradeRule


class CustomerInfo(_Strict):
    financials_stale_months: int = Field(ge=1)


class AgencyMonitoring(_Strict):
    near_limit_ratio: float = Field(gt=0, le=1.5)


class Monitoring(_Strict):
    purpose_lookback_months: int = Field(ge=1)
    customer_info: CustomerInfo
    guarantee_agency: AgencyMonitoring


class Horizons(_Strict):
    horizons_days: list[int]


class Lookback(_Strict):
    lookback_months: int = Field(ge=1)


class Provisions(_Strict):
    """The bank's own requirements, set by its regulator within the ranges of the 2018
    adjustment (拨备覆盖率 120%–150%, 拨贷比 1.5%–2.5%)."""
    coverage_required: float = Field(ge=1.2, le=1.5)
    loan_ratio_required: float = Field(ge=0.015, le=0.025)


class Highlights(_Strict):
    """要点 and the largest exposures of the meeting pack."""
    max_items: int = Field(ge=1, le=12)
    deadline_days: int = Field(ge=1)
    large_exposure_amount: float = Field(ge=0)
    top_customers: int = Field(ge=1)
    largest_new_npl: int = Field(ge=0)


class Policy(_Strict):
    version: int
    classification: ClassificationRules
    dpd_bands: list[DpdBand]
    inspection: Inspection
    warning: WarningPolicy
    collateral: CollateralPolicy
    title_warrant: TitleWarrant
    entrusted_payment: EntrustedPayment
    collection: CollectionPolicy
    archives: IdOnly
    meeting_actions: MeetingActions
    legal: Legal
    monitoring: Monitoring
    maturities: Horizons
    warning_effectiveness: Lookback
    provisions: Provisions
    highlights: Highlights

    def policy_ids(self) -> set[str]:
        ids = set()

        def walk(obj):
            if isinstance(obj, BaseModel):
                if "id" in type(obj).model_fields:
                    ids.add(obj.id)
                for name in type(obj).model_fields:
                    walk(getattr(obj, name))
            elif isinstance(obj, list):
                for x in obj:
                    walk(x)
        walk(self)
        return ids


def _read_yaml(path: Path) -> dict:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ParameterError(f"参数文件不存在 (parameters_missing)：{path}") from None
    except yaml.YAMLError as exc:
        raise ParameterError(f"参数文件无法解析 (parameters_unparseable)：{path}：{exc}") from None


def describe_validation_error(path: Path, exc: ValidationError) -> str:
    lines = [f"参数文件校验未通过 (parameters_invalid)：{path}"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        code = {"extra_forbidden": "未知参数 (unknown_key)", "missing": "缺少参数 (missing_key)"}.get(
            err["type"], f"取值无效 ({err['type']})")
        value = err.get("input")
        shown = "" if err["type"] == "missing" or isinstance(value, dict) else f"，值 {value!r}"
        lines.append(f"  {key}：{code}{shown}；{err['msg']}")
    return "\n".join(lines)


def load_model(path: Path, model: type[BaseModel]):
    """Read a parameters YAML file into a pydantic model; every failure a ParameterError naming the key."""
    try:
        return model.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise ParameterError(describe_validation_error(path, exc)) from None


def load_policy(path: Path | str | None = None) -> Policy:
    return load_model(Path(path) if path else parameters_dir() / "policy.yaml", Policy)


class WorkCalendar:
    """Working days: Monday–Friday, less holidays, plus adjusted working weekends."""

    def __init__(self, holidays: list[dt.date], adjusted: list[dt.date], years: list[int] | None = None):
        self.years = sorted(years) if years else sorted({d.year for d in holidays})
        self.holidays = np.array(sorted(holidays), dtype="datetime64[D]")
        self.adjusted = np.array(sorted(adjusted), dtype="datetime64[D]")

    @cached_property
    def _days(self) -> np.ndarray:
        """Every working day from 2000 to 2040, sorted."""
        days = np.arange(np.datetime64("2000-01-01"), np.datetime64("2041-01-01"))
        weekday = (days.astype(int) + 3) % 7          # 1970-01-01 was a Thursday (3)
        work = (weekday < 5) & ~np.isin(days, self.holidays)
        work |= np.isin(days, self.adjusted)
        return days[work]

    def check_covers(self, start, end) -> None:
        """A run may only count working days in years the calendar file covers: outside them it
        would silently count Monday–Friday and put deadlines on public holidays."""
        missing = [y for y in range(pd.Timestamp(start).year, pd.Timestamp(end).year + 1) if y not in self.years]
        if missing:
            raise ParameterError(
                f"工作日历未覆盖 {'、'.join(map(str, missing))} 年 (calendar_not_covered)：parameters/calendar.yaml 只覆盖 "
                f"{'、'.join(map(str, self.years))} 年；请按国务院办公厅节假日安排通知补充该年的节假日与调休后再运行。")

    def add_working_days(self, start, n) -> np.ndarray:
        """The nth working day after each start date (NaT where start is NaT)."""
        start = pd.to_datetime(pd.Series(start)).to_numpy().astype("datetime64[D]")
        n = np.broadcast_to(np.asarray(n, dtype=int), start.shape)
        nat = np.isnat(start)
        pos = np.searchsorted(self._days, np.where(nat, np.datetime64("2000-01-01"), start), side="right")
        out = self._days[np.clip(pos + n - 1, 0, len(self._days) - 1)]
        return np.where(nat | (n < 0), np.datetime64("NaT"), out).astype("datetime64[D]")


def load_calendar(path: Path | str | None = None) -> WorkCalendar:
    path = Path(path) if path else parameters_dir() / "calendar.yaml"
    data = _read_yaml(path)
    try:
        holidays = []
        for start, end in data["holidays"]:
            holidays += list(pd.date_range(start, end).date)
        adjusted = [pd.Timestamp(d).date() for d in data["adjusted_working_days"]]
        years = [int(y) for y in data["years"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ParameterError(f"日历参数无效 (calendar_invalid)：{path}：{exc}") from None
    outside = sorted({d.year for d in holidays + adjusted} - set(years))
    if outside:
        raise ParameterError(f"日历参数无效 (calendar_invalid)：{path}：years 未列出 {outside}，但其中有节假日或调休")
    return WorkCalendar(holidays, adjusted, years)
