"""The required inspection schedule matched against inspections performed.

Mart `inspection_duties` — grain: one required duty. Either a loan's first
inspection (deadline = disbursement + policy days) or a customer's routine window
(month / quarter / year by the customer's state when the window opens). Columns:
duty, due_date, done_date, status (on_time / late / missing), officer responsible
on the due date, scope keys. Only duties falling due in M are kept.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.marts.context import MonthContext
from postloan.rules.duties import first_inspection_done, first_inspection_due

NAT = pd.NaT


def _first_duties(ctx: MonthContext, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    loans = ctx.loans
    due = first_inspection_due(loans, ctx.policy)
    d = loans.assign(due_date=due)[((due >= start) & (due <= end)).to_numpy(dtype=bool)]
    found = first_inspection_done(d, ctx.extract["inspections"])
    out = pd.DataFrame({
        "duty": "first_inspection", "policy_id": ctx.policy.inspection.first.id, "kind": "first", "loan_id": d["loan_id"].to_numpy(),
        "customer_id": d["customer_id"].to_numpy(), "customer_name": d["customer_name"].to_numpy(),
        "window_start": d["disbursement_date"].to_numpy(), "due_date": d["due_date"].to_numpy(),
        "operating_branch_id": d["operating_branch_id"].to_numpy(),
        "managing_branch_id": d["managing_branch_id"].to_numpy()})
    done = pd.Series(found["done_date"].to_numpy(), index=out.index)
    out["done_date"] = done
    out["inspection_id"] = found["inspection_id"].to_numpy()
    on_time = done.notna() & (done <= out["due_date"])
    late = done.notna() & (done > out["due_date"]) & (done <= max(end, ctx.end))
    out["status"] = np.where(on_time, "on_time", np.where(late, "late", "missing"))
    out.loc[out["status"] == "missing", ["done_date", "inspection_id"]] = [NAT, None]
    return out


def _period_end(start: pd.Timestamp, window: str) -> pd.Timestamp:
    p = pd.Period(start, "M")
    if window == "month":
        return p.end_time.normalize()
    if window == "quarter":
        return pd.Period(start, "Q").end_time.normalize()
    return pd.Period(start, "Y").end_time.normalize()


def _risky_loan_customers(ctx: MonthContext) -> dict[str, set]:
    """month -> customers with an active loan in the risky classes at that month-end (once per extract)."""
    pol = ctx.policy.inspection.routine
    key = ("risky_loan_customers", tuple(pol.risky_classifications))
    if key not in ctx.extract.memo:
        lm = ctx.extract["loan_month"]
        rows = lm.loc[(lm["status"] == "active") & lm["classification"].isin(pol.risky_classifications),
                      ["month", "loan_id"]]
        rows = rows.merge(ctx.extract["loans"][["loan_id", "customer_id"]], on="loan_id")
        ctx.extract.memo[key] = {str(m): set(g) for m, g in rows.groupby("month", observed=True)["customer_id"]}
    return ctx.extract.memo[key]


def _risky_at(ctx: MonthContext, month_start: pd.Timestamp, customers: pd.Index) -> pd.Series:
    """Customer state when a window opens on `month_start`: any loan classified in the
    risky classes at the previous month-end, or a red/orange warning open that day."""
    pol = ctx.policy.inspection.routine
    prev = str(pd.Period(month_start, "M") - 1)
    risky_c = set(_risky_loan_customers(ctx).get(prev, ()))
    w = ctx.extract["warnings"]
    open_w = w[(w["identified_date"] <= month_start) & (w["status"] != "rejected") &
               w["level"].isin(pol.risky_warning_levels) &
               (w["released_date"].isna() | (w["released_date"] >= month_start))]
    risky_c |= set(open_w["customer_id"])
    return pd.Series(customers.isin(list(risky_c)), index=customers)


def _routine_windows(ctx: MonthContext, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """Windows ending between `first` and `last`, tiled from 1 January of each year: at each
    month start with no window open, a risky customer gets a one-month window, others a
    window to the end of their calendar period (quarter or year)."""
    out = []
    for year in range(first.year, last.year + 1):
        months = last.month if year == last.year else 12
        w = _year_windows(ctx, year, months)
        out.append(w[(w["due_date"] >= first) & (w["due_date"] <= last)])
    return pd.concat(out, ignore_index=True)


def _year_windows(ctx: MonthContext, year: int, months: int) -> pd.DataFrame:
    """The windows opened in the first `months` months of `year`. Each month depends only on
    the months before it, so the whole year is tiled once per extract and policy and cut."""
    key = ("routine_windows", year, ctx.policy.inspection.routine.model_dump_json())
    if key not in ctx.extract.memo:
        ctx.extract.memo[key] = _tile_year(ctx, year)
    full = ctx.extract.memo[key]
    return full[full["window_start"].dt.month <= months].reset_index(drop=True)


def _tile_year(ctx: MonthContext, year: int) -> pd.DataFrame:
    pol = ctx.policy.inspection.routine
    cust = ctx.customers.set_index("customer_id")
    ids = cust.index
    regular = cust["customer_type"].map(pol.window).to_numpy()
    open_until = pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]")
    windows = []
    for k in range(12):
        start = pd.Timestamp(year=year, month=k + 1, day=1)
        free = open_until.isna() | (open_until < start)
        if not free.any():
            continue
        risky = _risky_at(ctx, start, ids)
        kind = np.where(risky, pol.risky_window, regular)
        kinds = pd.unique(kind)
        ends = pd.Series([_period_end(start, w) for w in kinds], index=kinds)
        end = pd.Series(kind, index=ids).map(ends)
        end = end.where(free)
        open_until = open_until.where(~free, end)
        windows.append(pd.DataFrame({"customer_id": ids[free.to_numpy()], "window_start": start,
                                     "due_date": end[free].to_numpy(), "window": kind[free.to_numpy()]}))
    return pd.concat(windows, ignore_index=True)


def _routine_duties(ctx: MonthContext, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    pol = ctx.policy.inspection.routine
    w = _routine_windows(ctx, start, end)
    # a window counts only for customers with an active loan at the month in which it ends
    lm = ctx.extract["loan_month"]
    w["month"] = w["due_date"].dt.strftime("%Y-%m")
    act = lm.loc[(lm["status"] == "active") & lm["month"].isin(w["month"].unique()), ["month", "loan_id"]]
    act = act.merge(ctx.loans[["loan_id", "customer_id"]], on="loan_id")[["month", "customer_id"]].drop_duplicates()
    act = act.astype({"month": object, "customer_id": object})
    w = w.astype({"customer_id": object}).merge(act, on=["month", "customer_id"]).drop(columns="month")
    ins = ctx.extract["inspections"]
    q = ins[ins["kind"].isin(pol.qualifying_kinds)][["customer_id", "completed_date", "inspection_id"]]
    m = w.merge(q, on="customer_id", how="left")
    inside = m[(m["completed_date"] >= m["window_start"]) & (m["completed_date"] <= m["due_date"])]
    inside = inside.sort_values("completed_date").drop_duplicates(["customer_id", "window_start"])
    w = w.merge(inside[["customer_id", "window_start", "completed_date", "inspection_id"]],
                on=["customer_id", "window_start"], how="left").rename(columns={"completed_date": "done_date"})
    w["status"] = np.where(w["done_date"].notna(), "on_time", "missing")
    c = ctx.customers.set_index("customer_id")
    return pd.DataFrame({
        "duty": "routine_inspection", "policy_id": pol.id, "kind": "routine:" + w["window"].astype(str), "loan_id": None,
        "customer_id": w["customer_id"].to_numpy(), "customer_name": w["customer_id"].map(c["customer_name"]).to_numpy(),
        "window_start": w["window_start"].to_numpy(), "due_date": w["due_date"].to_numpy(),
        "operating_branch_id": w["customer_id"].map(c["operating_branch_id"]).to_numpy(),
        "managing_branch_id": w["customer_id"].map(c["managing_branch_id"]).to_numpy(),
        "done_date": w["done_date"].to_numpy(), "inspection_id": w["inspection_id"].to_numpy(),
        "status": w["status"].to_numpy()})


def build_inspection_duties(ctx: MonthContext, start: pd.Timestamp | None = None,
                            end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Duties falling due from `start` to `end` (default: the month of the context)."""
    start = ctx.start if start is None else start
    end = ctx.end if end is None else end
    d = pd.concat([_first_duties(ctx, start, end), _routine_duties(ctx, start, end)], ignore_index=True)
    d["officer_id"] = ctx.responsible(d["customer_id"], d["due_date"])
    d["days_late"] = (d["done_date"] - d["due_date"]).dt.days.where(d["status"] == "late")
    return d


def build_inspection_quality(ctx: MonthContext) -> pd.DataFrame:
    """Grain: inspection with a quality grade completed in the look-back window to M."""
    ins = ctx.extract["inspections"]
    since = (ctx.period - (ctx.policy.inspection.quality_lookback_months - 1)).start_time
    g = ins[ins["quality_grade"].notna() & (ins["completed_date"] >= since) & (ins["completed_date"] <= ctx.end)]
    c = ctx.customers.set_index("customer_id")
    return g.assign(operating_branch_id=g["customer_id"].map(c["operating_branch_id"]),
                    managing_branch_id=g["customer_id"].map(c["managing_branch_id"]))[
        ["inspection_id", "customer_id", "kind", "completed_date", "officer_id", "quality_grade",
         "operating_branch_id", "managing_branch_id"]]


def build_inspections_done(ctx: MonthContext) -> pd.DataFrame:
    """Mart `inspections_done` — grain: inspection completed in M (every kind, 尽职监督检查
    included), with the customer's scope keys."""
    ins = ctx.extract["inspections"]
    d = ins[ctx.in_month(ins["completed_date"]).to_numpy(dtype=bool)]
    c = ctx.customers.set_index("customer_id")
    return d.assign(operating_branch_id=d["customer_id"].map(c["operating_branch_id"]),
                    managing_branch_id=d["customer_id"].map(c["managing_branch_id"])).reset_index(drop=True)


def inspections_by_kind(done: pd.DataFrame) -> pd.DataFrame:
    """Per inspection kind: inspections done, on site, and the on-site share."""
    g = done.groupby("kind", observed=True).agg(done=("inspection_id", "size"),
                                                on_site=("on_site", lambda s: int(s.fillna(False).astype(bool).sum())))
    g = g[g["done"] > 0].reset_index()
    g["on_site_share"] = g["on_site"] / g["done"]
    return g
