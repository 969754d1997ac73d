"""parameters/targets.yaml (optional): the bank's targets per year and scope — NPL ratio and
balance ceilings, special-mention ratio ceiling, the year's cash recovery target and the
disposal plan by route. A figure without a target is simply not compared.

    version: 1
    targets:
      - {year: 2026, scope: all, npl_ratio_max: 0.02, npl_balance_max: 150000000,
         special_mention_ratio_max: 0.035, cash_recovery: 30000000,
         disposal_plan: {cash: 20000000, write_off: 10000000, transfer: 5000000}}
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from postloan.contract import BRANCH_ID_PATTERN
from postloan.glossary import enum_labels, term_labels
from postloan.policy import load_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScopeTargets(_Strict):
    year: int = Field(ge=2000, le=2100)
    scope: str
    npl_ratio_max: float | None = Field(default=None, ge=0, le=1)
    npl_balance_max: float | None = Field(default=None, ge=0)
    special_mention_ratio_max: float | None = Field(default=None, ge=0, le=1)
    cash_recovery: float | None = Field(default=None, ge=0)          # for the whole year, yuan
    disposal_plan: dict[str, float] = Field(default_factory=dict)    # recovery method -> yuan for the year

    @field_validator("scope")
    @classmethod
    def _scope(cls, v):
        import re
        if v != "all" and not re.fullmatch(BRANCH_ID_PATTERN, v):
            raise ValueError(f"scope must be all or a branch id, not {v!r}")
        return v

    @field_validator("disposal_plan")
    @classmethod
    def _methods(cls, v):
        unknown = set(v) - set(enum_labels("recovery_method"))
        if unknown:
            raise ValueError(f"unknown recovery methods {sorted(unknown)}")
        if any(x < 0 for x in v.values()):
            raise ValueError("plan amounts must be ≥ 0")
        return v


class Targets(_Strict):
    version: int
    targets: list[ScopeTargets]

    @model_validator(mode="after")
    def _unique(self):
        keys = [(t.year, t.scope) for t in self.targets]
        dup = {k for k in keys if keys.count(k) > 1}
        if dup:
            raise ValueError(f"one entry per year and scope; repeated: {sorted(dup)}")
        return self


def target_label(key: str) -> str:
    """Chinese label of a target key (glossary terms `target`; plan keys by recovery method)."""
    if key.startswith("plan_"):
        return f"处置计划（{enum_labels('recovery_method').get(key[5:], key[5:])}）"
    return term_labels("target").get(key, key)


def load_targets(path: Path | str) -> Targets:
    return load_model(Path(path), Targets)


def targets_frame(targets: Targets | None) -> pd.DataFrame:
    """The mart `targets`: one row per year × scope × key (disposal plan keys `plan_<method>`)."""
    rows = []
    for t in (targets.targets if targets else []):
        for key in ("npl_ratio_max", "npl_balance_max", "special_mention_ratio_max", "cash_recovery"):
            if getattr(t, key) is not None:
                rows.append({"year": t.year, "scope": t.scope, "key": key, "value": float(getattr(t, key))})
        for method, v in t.disposal_plan.items():
            rows.append({"year": t.year, "scope": t.scope, "key": f"plan_{method}", "value": float(v)})
    return pd.DataFrame(rows, columns=["year", "scope", "key", "value"])


def against_targets(frame: pd.DataFrame, month: str, scope: str, actual: dict, ytd_by_method: dict) -> list[dict]:
    """Rows (key, actual, target, gap, pace) for the scope's targets of M's year. Ceilings:
    gap = actual − ceiling (> 0 means missed). Annual amounts (cash recovery, disposal plan):
    the year-to-date actual against the target, and the pace — the share of the target that
    the elapsed months call for (target × month / 12) — so gap = actual − pace."""
    p = pd.Period(month, "M")
    t = frame[(frame["year"] == p.year) & (frame["scope"] == scope)]
    out = []
    for r in t.itertuples():
        if r.key.endswith("_max"):
            base = r.key[:-4]
            a = actual.get(base)
            gap = None if a is None else (a - r.value if "ratio" in r.key else round(a - r.value, 2))
            out.append({"key": r.key, "actual": a, "target": r.value, "pace": None, "gap": gap,
                        "missed": a is not None and a > r.value})
        else:
            method = r.key[5:] if r.key.startswith("plan_") else None
            a = float(actual.get("recovered_cash_ytd", 0.0)) if r.key == "cash_recovery" else \
                float(ytd_by_method.get(method, 0.0))
            pace = r.value * p.month / 12
            out.append({"key": r.key, "actual": round(a, 2), "target": r.value, "pace": round(pace, 2),
                        "gap": round(a - pace, 2), "missed": a < pace})
    return out
