"""What each case's collection stage expects, done, missing and next (NPL_WORKOUT.md
"Collection stage and next action"; workout_policy.yaml `stages`).

Mart `workout_actions` — grain: case × expected action: due date (the day the loan fell
overdue + `by_dpd`), the first action that did it (on a listed channel, with evidence
when required, or a legal case filed) on or after the day the loan fell overdue, and the
status: done (on time), late, missing (due, not done), next (not yet due).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.workout.config import WorkoutConfig


def build_actions(cases: pd.DataFrame, extract, end: pd.Timestamp, cfg: WorkoutConfig) -> pd.DataFrame:
    c = cases[~cases["written_off"] & (cases["dpd"].fillna(0) > 0)]
    overdue_from = end - pd.to_timedelta(c["dpd"].astype("int64") - 1, unit="D")
    act = extract["collection_actions"]
    act = act[act["loan_id"].isin(c["loan_id"]) & (act["action_time"] < end + pd.Timedelta(days=1))]
    filed = extract["legal_cases"]
    filed = filed[filed["loan_id"].isin(c["loan_id"]) & (filed["filed_date"] <= end)]
    rows = []
    for a in cfg.stages:
        who = c if a.customer_types is None else c[c["customer_type"].isin(a.customer_types)]
        start = overdue_from[who.index]
        due = start + pd.Timedelta(days=a.by_dpd)
        q = pd.DataFrame({"loan_id": who["loan_id"].to_numpy(), "start": start.to_numpy(), "_i": range(len(who))})
        hits = []
        if a.channels:
            x = act[act["channel"].isin(a.channels)]
            if a.evidence:
                x = x[x["evidence"].fillna(False).astype(bool)]
            hits.append(x[["loan_id", "action_time"]].rename(columns={"action_time": "day"}).assign(
                ref=x["action_id"].astype(object).to_numpy()))
        if a.legal_case:
            hits.append(filed[["loan_id", "filed_date"]].rename(columns={"filed_date": "day"}).assign(
                ref=filed["case_id"].astype(object).to_numpy()))
        h = q.merge(pd.concat(hits, ignore_index=True), on="loan_id")
        h = h[h["day"] >= h["start"]].sort_values("day").drop_duplicates("_i").set_index("_i")
        done = pd.to_datetime(h["day"].reindex(range(len(who)))).dt.normalize().to_numpy()
        ref = h["ref"].reindex(range(len(who))).to_numpy()
        status = np.where(pd.notna(done), np.where(done <= due.to_numpy(), "done", "late"),
                          np.where(due.to_numpy() <= end, "missing", "next"))
        rows.append(pd.DataFrame({"loan_id": who["loan_id"].to_numpy(), "action": a.id, "label": a.label,
                                  "due_date": due.to_numpy(), "done_date": done, "ref": ref, "status": status}))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["loan_id", "action", "label", "due_date", "done_date", "ref", "status"])
    return out.sort_values(["loan_id", "due_date"]).reset_index(drop=True)
