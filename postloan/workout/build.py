"""Build the workout book's marts of a month, once (NPL_WORKOUT.md)."""
from __future__ import annotations

import pandas as pd
from pydantic import BaseModel

from postloan.glossary import enum_labels, term_labels
from postloan.marts.build import Marts
from postloan.marts.context import MonthContext
from postloan.marts.disposal import claims_before
from postloan.rules.collection import paid_by_promised_date
from postloan.workout.actions import build_actions
from postloan.workout.cases import build_workout_cases
from postloan.workout.config import WorkoutConfig
from postloan.workout.valuation import components, recommend

SCOPE_COLS = ["loan_id", "operating_branch_id", "managing_branch_id"]


def _with_scope(frame: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    return frame.merge(cases[SCOPE_COLS], on="loan_id", how="inner")


def build_foreclosed(ctx: MonthContext, cfg: WorkoutConfig) -> pd.DataFrame:
    """Mart `workout_foreclosed` — grain: foreclosed asset held at M: the legal deadline to
    dispose of it (商业银行法 第42条: 2 years for real estate and equity, 1 year for movables)."""
    fa = ctx.extract["foreclosed_assets"]
    fa = fa[(fa["acquired_date"] <= ctx.end) & ~(fa["disposed_date"] <= ctx.end).fillna(False)].copy()
    f = cfg.foreclosed_assets
    group = fa["kind"].map(lambda k: "real_estate" if k in f.real_estate_kinds else
                           ("equity" if k in f.equity_kinds else "movable"))
    fa["deadline"] = [a + pd.DateOffset(years=f.deadline_years[g]) for a, g in zip(fa["acquired_date"], group)]
    fa["deadline"] = pd.to_datetime(fa["deadline"]).astype("datetime64[ns]")
    fa["months_held"] = ((ctx.end - fa["acquired_date"]).dt.days / 30.4375).round(1)
    fa["days_left"] = (fa["deadline"] - ctx.end).dt.days
    fa["overdue"] = fa["days_left"] < 0
    fa["soon"] = (fa["days_left"] >= 0) & (fa["days_left"] <= f.warn_days)
    fa = fa.merge(ctx.loans[["loan_id", "customer_id", "customer_name", "operating_branch_id", "managing_branch_id"]],
                  on="loan_id", how="left")
    return fa.sort_values("days_left").reset_index(drop=True)


def build_transfer_history(ctx: MonthContext) -> pd.DataFrame:
    """Mart `workout_transfer_history` — grain: the bank's past transfers by product and guarantee
    type: price ÷ claim at the month-end before the sale."""
    rec = ctx.extract["recoveries"]
    t = rec[(rec["method"] == "transfer") & (rec["recovery_date"] <= ctx.end)].copy()
    if t.empty:
        return pd.DataFrame(columns=["product", "guarantee_type", "transfers", "price", "claim", "ratio",
                                     "operating_branch_id", "managing_branch_id"])
    t["claim"] = t["recovery_id"].map(claims_before(t, ctx.extract["loan_month"])).to_numpy()
    t = t.merge(ctx.loans[["loan_id", "product", "guarantee_type", "operating_branch_id", "managing_branch_id"]], on="loan_id")
    g = t.groupby(["product", "guarantee_type", "operating_branch_id", "managing_branch_id"], observed=True).agg(
        transfers=("recovery_id", "size"), price=("amount", "sum"), claim=("claim", "sum")).reset_index()
    g["ratio"] = g["price"] / g["claim"].where(g["claim"] > 0)
    return g


# the enumeration whose codes a parameter's keys (or list values) are
_KEY_ENUMS = {"realisation": "collateral_kind", "guarantor_rate": "guarantor_kind", "unsecured_rate": "customer_type",
              "small_claim_limit": "customer_type", "kinds": "collateral_kind", "real_estate_kinds": "collateral_kind",
              "equity_kinds": "collateral_kind"}


def _param_label(parts: list[str]) -> str:
    names, routes = term_labels("workout_parameter"), term_labels("workout_route")
    out = []
    for i, part in enumerate(parts):
        parent = parts[i - 1] if i else None
        if parent in _KEY_ENUMS:
            out.append(enum_labels(_KEY_ENUMS[parent]).get(part, part))
        elif parent == "routes" and part in routes:
            out.append(routes[part])
        else:
            out.append(names.get(part, part))
    return "·".join(out)


def _param_value(key: str, value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        enum = _KEY_ENUMS.get(key)
        labels = enum_labels(enum) if enum else {}
        return "、".join(labels.get(v, str(v)) for v in value) if value else "（无）"
    if isinstance(value, float) and abs(value) >= 1000:
        return f"{value:,.0f}"
    return str(value)


def assumptions(cfg: WorkoutConfig) -> pd.DataFrame:
    """Mart `workout_assumptions`: every valuation default of the run, flattened (估值假设):
    `key` (the YAML path), `label` and `value` as a reader sees them (Chinese, no codes)."""
    rows = []

    def walk(parts, obj):
        if isinstance(obj, BaseModel):
            for k in type(obj).model_fields:
                walk(parts + [k], getattr(obj, k))
        elif isinstance(obj, dict):
            for k, v in obj.items():
                walk(parts + [str(k)], v)
        elif isinstance(obj, list) and obj and isinstance(obj[0], BaseModel):
            for i, v in enumerate(obj):
                walk(parts + [str(i)], v)
        else:
            rows.append({"key": ".".join(parts), "label": _param_label(parts), "value": _param_value(parts[-1], obj)})
    for section in ("cases", "valuation", "routes", "sensitivity", "write_off", "package", "foreclosed_assets"):
        walk([section], getattr(cfg, section))
    return pd.DataFrame(rows)


def build_workout_marts(extract, month: str, policy, calendar, cfg: WorkoutConfig) -> Marts:
    """Once per extract, month and policies: the meeting pack's section 九 reads the same marts."""
    key = ("workout_marts", month, id(policy), id(calendar), id(cfg))
    if key not in extract.memo:
        # kept with the policies it was built with, so that their ids cannot be reused by others
        extract.memo[key] = (policy, calendar, cfg, _build(extract, month, policy, calendar, cfg))
    return extract.memo[key][3]


def _build(extract, month: str, policy, calendar, cfg: WorkoutConfig) -> Marts:
    ctx = MonthContext(extract, month, policy, calendar)
    cases, deadlines, guarantees = build_workout_cases(ctx, cfg)
    col = extract["collateral"]
    col = col[col["loan_id"].isin(cases["loan_id"])]
    g = guarantees[["guarantee_id", "loan_id", "guarantor_name", "guarantor_kind", "amount", "mode",
                                       "enforceable"]]
    values, rec = recommend(cases, col, g, cfg)
    comp = components(cases, col, g, cfg)
    route_cn = term_labels("workout_route")
    cases = cases.merge(comp.drop(columns=["claim"]), on="loan_id", how="left")
    cases = cases.merge(rec.rename(columns={"route": "recommended", "pv": "recommended_pv"}), on="loan_id", how="left")
    cases["recommended_cn"] = cases["recommended"].map(route_cn)
    cases["transfer_eligible"] = cases["loan_id"].isin(values.loc[(values["route"] == "transfer") & values["open"], "loan_id"])
    values["route_cn"] = values["route"].map(route_cn)
    dl = deadlines.merge(cases[["loan_id", "customer_name"] + SCOPE_COLS[1:]], on="loan_id")
    dl["days_left"] = (dl["deadline"] - ctx.end).dt.days
    dl["kind_label"] = dl["kind"].map(term_labels("legal_deadline_kind"))
    act = ctx.extract["collection_actions"]
    contacts = act[act["loan_id"].isin(cases["loan_id"]) & (act["action_time"] < ctx.end + pd.Timedelta(days=1))]
    rec = ctx.extract["recoveries"]
    promises = contacts[contacts["outcome"] == "promise_to_pay"].copy()
    promises["kept"] = paid_by_promised_date(promises, rec[rec["recovery_date"] <= ctx.end])
    promises["broken"] = ~promises["kept"] & (promises["promised_date"] < ctx.end)
    lm = ctx.extract["loan_month"]
    history = lm[lm["loan_id"].isin(cases["loan_id"]) & (lm["month"] <= month)][
        ["loan_id", "month", "balance", "dpd", "classification", "status"]]
    tables = {
        "workout_cases": cases,
        "workout_routes": _with_scope(values, cases),
        "workout_actions": _with_scope(build_actions(cases, extract, ctx.end, cfg), cases),
        "workout_deadlines": dl,
        "workout_guarantees": _with_scope(g, cases),
        "workout_collateral": _with_scope(col, cases),
        "workout_contacts": _with_scope(contacts, cases),
        "workout_promises": _with_scope(promises, cases),
        "workout_history": _with_scope(history, cases),
        "workout_foreclosed": build_foreclosed(ctx, cfg),
        "workout_transfer_history": build_transfer_history(ctx),
        "workout_assumptions": assumptions(cfg),
        "workout_inputs_missing": pd.DataFrame({"part": extract.missing_optional()}),
        "workout_settings": pd.DataFrame({"reserve_ratio": [cfg.package.reserve_ratio],
                                          "package_loan_ids": [",".join(cfg.package.loan_ids)],
                                          "discount_rate": [cfg.valuation.discount_rate],
                                          "bank_holding_cost_rate": [cfg.valuation.bank_holding_cost_rate],
                                          **{f"abs_{k}" if not k.startswith("abs_") else k: [v] for k, v in
                                             cfg.routes.securitisation.model_dump().items()}}),
        "branches": ctx.branches, "officers": ctx.officers,
        "period": pd.DataFrame({"period": [month], "end": [ctx.end]}),
    }
    return Marts(month, tables)
