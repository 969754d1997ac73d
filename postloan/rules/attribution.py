"""Who was responsible (METRICS.md "Time and scope"): the officer of the assignments row
covering a date, the outgoing officer of a handover, the head of a branch on a date."""
from __future__ import annotations

import numpy as np
import pandas as pd


def by_start(assignments: pd.DataFrame) -> pd.DataFrame:
    """The assignments as `responsible` reads them (customer as text, in start order): made once
    and passed with `ready=True` by a caller that asks many times."""
    a = assignments[["customer_id", "officer_id", "start_date", "end_date"]].copy()
    a["customer_id"] = a["customer_id"].astype("string").astype(object)
    return a.sort_values("start_date")


def responsible(assignments: pd.DataFrame, customer_ids, dates, ready: bool = False) -> np.ndarray:
    """officer_id responsible for each (customer, date); None when nobody was assigned.
    `ready`: `assignments` is already `by_start(assignments)`."""
    q = pd.DataFrame({"customer_id": pd.Series(customer_ids, dtype="string").to_numpy(),
                      "day": pd.to_datetime(pd.Series(dates)).to_numpy().astype("datetime64[ns]"),
                      "_i": np.arange(len(customer_ids))})
    out = np.full(len(q), None, dtype=object)
    q = q[q["day"].notna() & q["customer_id"].notna()]
    if q.empty:
        return out
    a = assignments if ready else by_start(assignments)
    q = q.sort_values("day")
    q["customer_id"] = q["customer_id"].astype(object)
    m = pd.merge_asof(q, a, left_on="day", right_on="start_date", by="customer_id", direction="backward")
    ok = m["officer_id"].notna() & (m["end_date"].isna() | (m["end_date"] > m["day"]))
    out[m.loc[ok, "_i"].to_numpy()] = m.loc[ok, "officer_id"].astype(object).to_numpy()
    return out


def with_outgoing(assignments: pd.DataFrame) -> pd.DataFrame:
    """The assignments history with `outgoing_officer_id`: the officer of the customer's
    previous row (the one who handed over), None for a customer's first row."""
    a = assignments.sort_values(["customer_id", "start_date"])
    return a.assign(outgoing_officer_id=a.groupby("customer_id", observed=True)["officer_id"].shift())


def branch_heads(officers: pd.DataFrame, branch_ids, dates) -> np.ndarray:
    """officer_id of the head (role branch_head) of each branch on each date: employed then
    (hire_date ≤ date < leave_date); the one hired last when several were; None if none."""
    heads = officers[officers["role"] == "branch_head"][["officer_id", "branch_id", "hire_date", "leave_date"]]
    q = pd.DataFrame({"branch_id": pd.Series(branch_ids, dtype=object).to_numpy(),
                      "day": pd.to_datetime(pd.Series(dates)).to_numpy(), "_i": np.arange(len(branch_ids))})
    m = q.merge(heads.astype({"branch_id": object}), on="branch_id")
    m = m[(m["hire_date"] <= m["day"]) & (m["leave_date"].isna() | (m["leave_date"] > m["day"]))]
    m = m.sort_values("hire_date").drop_duplicates("_i", keep="last")
    out = np.full(len(q), None, dtype=object)
    out[m["_i"].to_numpy()] = m["officer_id"].astype(object).to_numpy()
    return out
