"""The sample bank: a deterministic, realistic extract in the contract's shape.

    tables = generate_sample_bank("small", seed=42)   # {table name: DataFrame}

Besides the 17 contract tables the result holds `sample_officer_traits`, the
generator's hidden truth (each officer's diligence), which no report reads;
tests use it to check that scores follow diligence.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from postloan.contract import TABLES
from postloan.sample import book, duties, history, meetings, optional, org, recovery, security
from postloan.sample.profiles import PROFILES
from postloan.sample.util import month_end, responsible

TRUTH_TABLE = "sample_officer_traits"


@dataclass
class Context:
    months: np.ndarray
    window_start: np.datetime64
    window_end: np.datetime64
    branches: pd.DataFrame = None
    officers: pd.DataFrame = None
    customers: pd.DataFrame = None
    loans: pd.DataFrame = None
    assignments: pd.DataFrame = None
    lm: pd.DataFrame = None
    events: dict = None

    def responsible(self, customer_ids, days) -> np.ndarray:
        if not hasattr(self, "_officer_index"):
            self._officer_index = pd.Series(np.arange(len(self.officers)), index=self.officers["officer_id"])
        return responsible(self.assignments, self._officer_index, customer_ids, days)


def generate_sample_bank(size: str = "small", seed: int = 42, end_month: str | None = None) -> dict[str, pd.DataFrame]:
    if size not in PROFILES:
        raise ValueError(f"未知的样本规模 (unknown_size)：{size!r}，可选 {', '.join(PROFILES)}")
    profile = PROFILES[size]
    rng = np.random.default_rng(seed)
    last = np.datetime64(end_month or profile.end_month, "M")
    months = np.arange(last - profile.months + 1, last + 1)
    ctx = Context(months=months, window_start=months[0].astype("datetime64[D]"),
                  window_end=month_end(months[-1:])[0])
    ctx.branches = org.build_branches(profile)
    ctx.officers = org.build_officers(rng, profile, ctx.branches, ctx.window_start, ctx.window_end)
    n_customers = int(profile.loans / 1.3)
    ctx.customers = book.build_customers(rng, n_customers, ctx.branches, ctx.window_end)
    ctx.loans = book.build_loans(rng, ctx.customers, profile.loans, ctx.window_start, ctx.window_end)
    used = np.unique(ctx.loans["_cust"].to_numpy())          # customers left without a loan are dropped
    remap = np.full(len(ctx.customers), -1)
    remap[used] = np.arange(len(used))
    ctx.customers = ctx.customers.iloc[used].reset_index(drop=True)
    ctx.loans["_cust"] = remap[ctx.loans["_cust"].to_numpy()]
    ctx.assignments = book.build_assignments(rng, ctx.customers, ctx.loans, ctx.officers, ctx.branches,
                                             ctx.window_start, ctx.window_end)
    ctx.lm, ctx.events = history.simulate(rng, ctx.loans, ctx.customers, months)
    _drop_loans_gone_before_history(ctx)
    _mark_restructures(ctx)
    guarantees, agencies = security.build_guarantees(rng, ctx)
    tables = {
        "branches": ctx.branches,
        "officers": ctx.officers,
        "customers": ctx.customers,
        "assignments": ctx.assignments,
        "loans": ctx.loans,
        "loan_month": history.to_contract(ctx.lm, ctx.loans, months),
        "inspections": duties.build_inspections(rng, ctx),
        "warnings": duties.build_warnings(rng, ctx),
        "collateral": security.build_collateral(rng, ctx),
        "guarantees": guarantees,
        "guarantee_agencies": agencies,
        "fund_payments": security.build_fund_payments(rng, ctx),
        "collection_actions": recovery.build_collection_actions(rng, ctx),
        "recoveries": recovery.build_recoveries(rng, ctx),
        "legal_cases": recovery.build_legal_cases(rng, ctx),
        "archives": duties.build_archives(rng, ctx),
        "meeting_actions": meetings.build_meeting_actions(rng, ctx),
    }
    out = {name: _shape(name, frame) for name, frame in tables.items()}
    optional.add_optional(np.random.default_rng(seed + 7919), out, ctx.window_end)
    out = {name: _shape(name, frame) for name, frame in out.items()}
    out[TRUTH_TABLE] = ctx.officers[["officer_id", "diligence"]].reset_index(drop=True)
    return out


def _drop_loans_gone_before_history(ctx: Context) -> None:
    """Loans that left the book during the burn-in never appear in the extract."""
    keep = np.unique(ctx.lm["_loan"].to_numpy())
    remap = np.full(len(ctx.loans), -1)
    remap[keep] = np.arange(len(keep))
    ctx.loans = ctx.loans.iloc[keep].reset_index(drop=True)
    ctx.loans["loan_id"] = [f"L{i + 1:08d}" for i in range(len(ctx.loans))]
    ctx.lm["_loan"] = remap[ctx.lm["_loan"].to_numpy()]
    for name, frame in ctx.events.items():
        frame["_loan"] = remap[frame["_loan"].to_numpy().astype(int)]
        ctx.events[name] = frame[frame["_loan"] >= 0].reset_index(drop=True)


def _mark_restructures(ctx: Context) -> None:
    rs = ctx.events["restructures"]
    if len(rs):
        first = rs.sort_values("_t").drop_duplicates("_loan")
        day = month_end(ctx.months[0] + first["_t"].to_numpy().astype(int)) - np.timedelta64(10, "D")
        ctx.loans.loc[first["_loan"].to_numpy(), "is_restructured"] = True
        ctx.loans.loc[first["_loan"].to_numpy(), "restructure_date"] = day


def _shape(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Keep the contract's columns in its order (optional ones where generated); dates as datetime64[ns]."""
    columns = [c for c in TABLES[name].columns if c.name in frame.columns or not c.optional]
    out = frame[[c.name for c in columns]].reset_index(drop=True).copy()
    for col in columns:
        if col.type in ("date", "datetime") and not isinstance(out[col.name].dtype, pd.CategoricalDtype):
            out[col.name] = pd.to_datetime(pd.Series(out[col.name].to_numpy())).astype("datetime64[ns]")
    return out
