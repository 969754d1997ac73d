"""贷后管理例会: last meetings' resolutions and this meeting's proposed resolutions.

Mart `meeting_actions_status` — grain: action decided at a meeting in or before M,
with its state at the end of M (done / open / overdue / cancelled).
Mart `proposed_resolutions` — grain: proposal, in the shape of meeting_actions so the
secretary can adopt it, with the finding it comes from.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.marts.context import MonthContext
from postloan.rules import attribution


def build_meeting_actions_status(ctx: MonthContext) -> pd.DataFrame:
    a = ctx.extract["meeting_actions"]
    a = a[a["meeting_month"] <= ctx.month].copy()
    done = (a["status"] == "done") & (a["done_date"] <= ctx.end)
    cancelled = a["status"] == "cancelled"
    a["open_at_end"] = ~done & ~cancelled
    a["overdue_at_end"] = a["open_at_end"] & (a["due_date"] < ctx.end)
    a["state"] = np.select([cancelled, done, a["overdue_at_end"], a["open_at_end"]],
                           ["cancelled", "done", "overdue", "open"], "open")
    managing = ctx.branches.set_index("branch_id")["managing_branch_id"]
    a["operating_branch_id"] = a["branch_id"]
    a["managing_branch_id"] = a["branch_id"].map(managing)
    # a resolution without an owner is the meeting branch's head's to carry out
    heads = attribution.branch_heads(ctx.officers, a["branch_id"], [ctx.end] * len(a))
    a["owner_is_head"] = a["owner_officer_id"].isna() & pd.notna(heads)
    a["owner_officer_id"] = a["owner_officer_id"].astype(object).where(a["owner_officer_id"].notna(), heads)
    a["owner_name"] = a["owner_officer_id"].map(ctx.officer_names())
    return a.reset_index(drop=True)


def meeting_figures(a: pd.DataFrame) -> dict:
    return {"meeting_actions_open": int(a["open_at_end"].sum()),
            "meeting_actions_overdue": int(a["overdue_at_end"].sum())}


def build_proposed_resolutions(ctx: MonthContext, marts: dict) -> pd.DataFrame:
    """One proposal per finding that needs a decision, owned by the officer responsible
    (or the post-loan manager of the managing branch when nobody is)."""
    days = ctx.policy.meeting_actions.proposal_days
    horizon = ctx.policy.meeting_actions.legal_horizon_days
    b = ctx.extract["branches"]
    head_office = b.loc[b["level"] == "head_office", "branch_id"].iloc[0]
    off = ctx.officers
    plm = off[off["role"] == "post_loan_manager"].drop_duplicates("branch_id").set_index("branch_id")["officer_id"]
    rows = []

    def add(frame, item, basis, owner=None, due_days=days.default):
        if frame.empty:
            return
        o = owner if owner is not None else frame["officer_id"]
        o = pd.Series(o, index=frame.index).fillna(frame["managing_branch_id"].map(plm))
        rows.append(pd.DataFrame({"meeting_month": ctx.month, "branch_id": frame["managing_branch_id"].fillna(head_office),
                                  "item": item, "owner_officer_id": o, "due_date": ctx.end + pd.Timedelta(days=due_days),
                                  "basis": basis, "operating_branch_id": frame["operating_branch_id"],
                                  "managing_branch_id": frame["managing_branch_id"]}))

    w = marts["warning_lifecycle"]
    red = w[w["open_at_end"] & (w["level"] == "red") & w["first_measure_date"].isna()]
    add(red, "对" + red["customer_name"] + "（" + red["customer_id"] + "）红色预警 " + red["warning_id"] +
        " 制定处置方案并落实首项措施", "红色预警未处置", due_days=days.red_warning)
    lim = marts["legal_deadlines"]
    soon = lim[(lim["days_left"] > 0) & (lim["days_left"] <= horizon)]
    add(soon, "在 " + soon["deadline"].dt.strftime("%Y-%m-%d") + " 前对借据 " + soon["loan_id"] + "（" +
        soon["customer_name"] + "）" + soon["kind_label"] + "采取保全措施", f"法律时效 {horizon} 天内到期",
        due_days=days.legal_deadline)
    # every lapsed right once: skip one a resolution on the record already names (loan id and deadline kind)
    gone = lim[lim["days_left"] <= 0]
    items = ctx.extract["meeting_actions"]
    items = items.loc[items["status"] != "cancelled", "item"].astype(str).tolist()
    named = [any(l in it and k in it for it in items) for l, k in zip(gone["loan_id"].astype(str), gone["kind_label"])]
    gone = gone[~pd.Series(named, index=gone.index, dtype=bool)]
    gone = gone.assign(officer_id=gone["officer_id"].fillna(gone["officer_at_deadline"]))
    add(gone, "对借据 " + gone["loan_id"] + "（" + gone["customer_name"] + "）已于 " + gone["deadline"].dt.strftime("%Y-%m-%d")
        + " 届满的" + gone["kind_label"] + "（" + gone["party"].astype(str) + "）评估损失、研究补救措施，并启动责任认定",
        "法律时效已届满", due_days=days.legal_deadline)
    d = marts["inspection_duties"]
    miss = d[d["status"] == "missing"].groupby(["officer_id", "operating_branch_id", "managing_branch_id"],
                                                dropna=False).size().rename("n").reset_index()
    add(miss, "补做 " + miss["n"].astype(str) + " 项逾期未完成的贷后检查", "贷后检查缺失", owner=miss["officer_id"])
    snap = marts["loan_snapshot"]
    br = snap[snap["floor_breach"]].groupby("managing_branch_id").size().rename("n").reset_index()
    br["operating_branch_id"] = br["managing_branch_id"]
    add(br, "对 " + br["n"].astype(str) + " 笔分类低于逾期底线的贷款重新认定五级分类", "分类偏离底线",
        owner=br["managing_branch_id"].map(plm))
    arc = marts["archive_defects"]
    arc = arc[arc["defect"] == "missing"].groupby(["officer_id", "operating_branch_id", "managing_branch_id"],
                                                    dropna=False).size().rename("n").reset_index()
    add(arc, "补齐 " + arc["n"].astype(str) + " 份缺失的信贷档案", "档案缺失", owner=arc["officer_id"])
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["meeting_month", "branch_id", "item", "owner_officer_id", "due_date", "basis",
                 "operating_branch_id", "managing_branch_id"])
    out.insert(0, "action_id", [f"P{ctx.month.replace('-', '')}-{i + 1:04d}" for i in range(len(out))])
    out["status"] = "open"
    out["done_date"] = pd.NaT
    out["owner_name"] = out["owner_officer_id"].map(ctx.officer_names())
    return out
