"""Duties attributed to officers — the evidence behind every scorecard figure.

Mart `scorecard_duties` — grain: one duty case of one officer. Dated duties (an
inspection window, a warning deadline, an archive due date, a meeting action) go to
the officer responsible for the customer on the date the duty fell due (or, for a
warning, when it was identified), per the assignments history: after a handover the
earlier lapses stay with the outgoing officer. Book measures (new NPL, recovery) are
built per period from the officer's book at the period's start.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.marts.context import MonthContext
from postloan.marts.inspections import build_inspection_duties
from postloan.marts.warnings import build_warning_lifecycle
from postloan.periods import Period
from postloan.policy import NPL_CLASSES
from postloan.rules.attribution import with_outgoing
from postloan.rules.conduct import conduct_flags
from postloan.rules.recovery import cash_recoveries

COLUMNS = ["duty", "officer_id", "due_date", "ok", "points", "ref", "customer_id", "loan_id", "done_date",
           "days_late", "amount", "originated"]


def _frame(duty, officer, due, ok=None, points=None, ref=None, customer=None, loan=None, done=None,
           amount=None, originated=None) -> pd.DataFrame:
    n = len(officer)
    f = pd.DataFrame({
        "duty": duty, "officer_id": pd.Series(officer, dtype=object).to_numpy(),
        "due_date": pd.to_datetime(pd.Series(due)).to_numpy(),
        "ok": np.full(n, np.nan) if ok is None else np.asarray(ok, dtype=float),
        "points": np.full(n, np.nan) if points is None else np.asarray(points, dtype=float),
        "ref": pd.Series(ref, dtype=object).to_numpy() if ref is not None else None,
        "customer_id": pd.Series(customer, dtype=object).to_numpy() if customer is not None else None,
        "loan_id": pd.Series(loan, dtype=object).to_numpy() if loan is not None else None,
        "done_date": pd.to_datetime(pd.Series(done)).to_numpy() if done is not None else pd.NaT,
        "amount": np.full(n, np.nan) if amount is None else np.asarray(amount, dtype=float),
        "originated": np.full(n, np.nan) if originated is None else np.asarray(originated, dtype=float)})
    f["days_late"] = (f["done_date"] - f["due_date"]).dt.days
    return f


def build_dated_duties(ctx: MonthContext, start: pd.Timestamp, end: pd.Timestamp,
                       quality_points: dict[str, float]) -> pd.DataFrame:
    """Every dated duty falling due from `start` to `end`, attributed to its officer."""
    parts = []
    ins = build_inspection_duties(ctx, start, end)
    parts.append(_frame("inspection", ins["officer_id"], ins["due_date"], ins["status"] == "on_time",
                        ref=ins["kind"] + ":" + ins["loan_id"].fillna(ins["customer_id"]).astype(str),
                        customer=ins["customer_id"], loan=ins["loan_id"], done=ins["done_date"]))
    q = ctx.extract["inspections"]
    q = q[q["quality_grade"].notna() & (q["completed_date"] >= start) & (q["completed_date"] <= end)]
    parts.append(_frame("inspection_quality", q["officer_id"], q["completed_date"],
                        points=q["quality_grade"].astype(object).map(quality_points), ref=q["inspection_id"],
                        customer=q["customer_id"], loan=q["loan_id"], done=q["completed_date"]))
    w = build_warning_lifecycle(ctx)
    live = w[w["status"] != "rejected"]
    inside = lambda s: (s >= start) & (s <= end)
    rep = live[inside(live["report_deadline"])]
    parts.append(_frame("warning_report", rep["officer_id"], rep["report_deadline"],
                        rep["reported_date"].notna() & (rep["reported_date"] <= rep["report_deadline"]),
                        ref=rep["warning_id"], customer=rep["customer_id"], done=rep["reported_date"]))
    han = live[live["confirmed_date"].notna() & inside(live["handling_deadline"])]
    parts.append(_frame("warning_handling", han["officer_id"], han["handling_deadline"],
                        han["first_measure_date"].notna() & (han["first_measure_date"] <= han["handling_deadline"]),
                        ref=han["warning_id"], customer=han["customer_id"], done=han["first_measure_date"]))
    ent = w[inside(w["entry_deadline"])]
    parts.append(_frame("warning_entry", ent["officer_id"], ent["entry_deadline"],
                        ent["entered_date"].notna() & (ent["entered_date"] <= ent["entry_deadline"]),
                        ref=ent["warning_id"], customer=ent["customer_id"], done=ent["entered_date"]))
    red = rep[(rep["level"] == "red") & rep["reported_date"].isna()]
    parts.append(_frame("red_warning_unreported", red["officer_id"], red["report_deadline"], False,
                        ref=red["warning_id"], customer=red["customer_id"]))
    a = ctx.extract["archives"]
    a = a[inside(a["due_date"])].merge(ctx.loans[["loan_id", "customer_id"]], on="loan_id")
    parts.append(_frame("archive", ctx.responsible(a["customer_id"], a["due_date"]), a["due_date"],
                        a["received_date"].notna() & (a["received_date"] <= a["due_date"]),
                        ref=a["loan_id"] + ":" + a["doc_type"], customer=a["customer_id"], loan=a["loan_id"],
                        done=a["received_date"]))
    m = ctx.extract["meeting_actions"]
    m = m[inside(m["due_date"]) & (m["status"] != "cancelled")]
    parts.append(_frame("meeting_action", m["owner_officer_id"], m["due_date"],
                        (m["status"] == "done") & (m["done_date"] <= m["due_date"]), ref=m["action_id"],
                        done=m["done_date"]))
    act = ctx.extract["collection_actions"]
    act = act[(act["action_time"] >= start) & (act["action_time"] < end + pd.Timedelta(days=1)) & act["officer_id"].notna()]
    bad = act[conduct_flags(act, ctx.policy.collection.conduct)["breach"]]
    parts.append(_frame("collection_conduct", bad["officer_id"], bad["action_time"].dt.normalize(), False,
                        ref=bad["action_id"], loan=bad["loan_id"]))
    h = with_outgoing(ctx.extract["assignments"]).rename(columns={"outgoing_officer_id": "outgoing"})
    h = h[h["handover_reason"].notna() & inside(h["start_date"]) & h["outgoing"].notna() &
          (h["witness_officer_id"].isna() | h["handover_signed_date"].isna())]
    parts.append(_frame("handover_incomplete", h["outgoing"], h["start_date"], False,
                        ref=h["customer_id"] + ":" + h["start_date"].dt.strftime("%Y-%m-%d"), customer=h["customer_id"]))
    out = pd.concat([p for p in parts if len(p)], ignore_index=True)
    return out[COLUMNS]


def build_book_duties(ctx: MonthContext, period: Period) -> pd.DataFrame:
    """New NPL and recovery cases of one period, from the officer's book.

    new_npl: each loan performing at the month-end before the period, attributed to the
    officer responsible for its customer at the period's start; `amount` its balance
    then, `ok` = 0 when it became NPL in the period — NPL at its last month-end, or NPL
    and then written off or transferred within it (a write-off counts as NPL) — 1 otherwise;
    `originated` = 1 when the same officer was responsible at disbursement.
    recovery: cash-like recoveries in the period, attributed to the officer responsible
    on the recovery date; plus one case (amount 0) per NPL loan in the officer's book at
    the period's end, so that an officer with NPLs and no recovery is scored, not skipped."""
    lm = ctx.extract["loan_month"]
    open_month = str(pd.Period(period.start, "M") - 1)
    opening = lm[(lm["month"] == open_month) & (lm["status"] == "active") &
                 lm["classification"].isin(["normal", "special_mention"])][["loan_id", "balance"]]
    closing = lm[lm["month"] == period.last_month][["loan_id", "classification", "status", "balance"]]
    book = opening.merge(closing, on="loan_id", how="left", suffixes=("", "_end"))
    book = book.merge(ctx.loans[["loan_id", "customer_id", "disbursement_date"]], on="loan_id")
    officer = ctx.responsible(book["customer_id"], [period.start] * len(book))
    at_disb = ctx.responsible(book["customer_id"], book["disbursement_date"])
    # became NPL in the period: NPL at its end, or NPL at a month-end of the period (or written
    # off) and then written off or transferred before its end
    inside = lm[lm["month"].isin(period.months)]
    inside = inside[inside["loan_id"].isin(book["loan_id"])]
    npl_inside = set(inside.loc[(inside["status"] == "active") & inside["classification"].isin(NPL_CLASSES), "loan_id"])
    gone = book["status"].isin(["written_off", "transferred"]) & (
        book["loan_id"].isin(npl_inside) | (book["status"] == "written_off"))
    became = ((book["status"] == "active") & book["classification"].isin(NPL_CLASSES)) | gone
    parts = [_frame("new_npl", officer, [period.end] * len(book), ~became.fillna(False).to_numpy(dtype=bool),
                    ref=book["loan_id"], customer=book["customer_id"], loan=book["loan_id"],
                    amount=book["balance"], originated=(officer == at_disb) & pd.notna(officer))]
    npl_end = closing[(closing["status"] == "active") & closing["classification"].isin(NPL_CLASSES)]
    npl_end = npl_end.merge(ctx.loans[["loan_id", "customer_id"]], on="loan_id")
    parts.append(_frame("recovery", ctx.responsible(npl_end["customer_id"], [period.end] * len(npl_end)),
                        [period.end] * len(npl_end), ref="npl:" + npl_end["loan_id"], customer=npl_end["customer_id"],
                        loan=npl_end["loan_id"], amount=np.zeros(len(npl_end))))
    r = cash_recoveries(ctx.extract["recoveries"], period.start, period.end)
    r = r.merge(ctx.loans[["loan_id", "customer_id"]], on="loan_id")
    parts.append(_frame("recovery", ctx.responsible(r["customer_id"], r["recovery_date"]), r["recovery_date"],
                        ref=r["recovery_id"], customer=r["customer_id"], loan=r["loan_id"], amount=r["amount"]))
    return pd.concat(parts, ignore_index=True)[COLUMNS]


def presence(ctx: MonthContext, period: Period, officer_ids) -> pd.DataFrame:
    """Days each officer was at post in the period: employed (hire to leave) less the days
    their customers were covered by a colleague while they were on leave (休假移交)."""
    off = ctx.officers.set_index("officer_id").loc[list(officer_ids)]
    start, end = period.start, period.end
    first = off["hire_date"].clip(lower=start)
    last = off["leave_date"].fillna(end + pd.Timedelta(days=1)).clip(upper=end + pd.Timedelta(days=1))
    employed = (last - first).dt.days.clip(lower=0)
    a = with_outgoing(ctx.extract["assignments"]).rename(columns={"outgoing_officer_id": "outgoing"})
    lv = a[(a["handover_reason"] == "leave") & a["outgoing"].isin(list(officer_ids))]
    # a leave spell: from the cover's start to its end (the officer taking back), per officer
    lv = lv[lv["end_date"].notna() & (lv["officer_id"] != lv["outgoing"])]
    s = lv["start_date"].clip(lower=start)
    e = lv["end_date"].clip(upper=end + pd.Timedelta(days=1))
    spells = pd.DataFrame({"officer_id": lv["outgoing"].to_numpy(), "s": s.to_numpy(), "e": e.to_numpy()})
    spells = spells[spells["e"] > spells["s"]].drop_duplicates()
    away = {}
    for oid, g in spells.groupby("officer_id"):
        days = set()
        for r in g.itertuples():
            days.update(pd.date_range(r.s, r.e - pd.Timedelta(days=1)).date)
        away[oid] = len(days)
    away_s = pd.Series(away, dtype=float).reindex(off.index).fillna(0)
    present = (employed - away_s).clip(lower=0)
    out = pd.DataFrame({"officer_id": off.index, "period_days": period.days, "employed_days": employed.to_numpy(),
                        "away_days": away_s.to_numpy(), "present_days": present.to_numpy()})
    out["presence_share"] = out["present_days"] / out["period_days"]
    out["joined_in_period"] = (off["hire_date"] > start).to_numpy()
    out["left_in_period"] = (off["leave_date"].notna() & (off["leave_date"] <= end)).to_numpy()
    return out


def build_accountability_duties(review, period: Period) -> pd.DataFrame:
    """What the accountability review of the period found, as scorecard cases: one per
    serious lapse of an officer, one per case where the officer bears direct
    responsibility, is not exempt and has a serious lapse (the deductions and vetoes of
    scorecard_policy.yaml)."""
    lp = review["accountability_lapses"]
    det = review["accountability_determinations"]
    parts = []
    if len(lp):
        s = lp[(lp["severity"] == "serious") & lp["counted"] & lp["officer_id"].notna()]
        parts.append(_frame("accountability_serious_lapse", s["officer_id"], [period.end] * len(s), False,
                            ref=s["case_id"] + ":" + s["duty"], loan=s["loan_id"], done=s["done_date"]))
    if len(det):
        d = det[(det["exoneration"] == "not_exempt") & (det["degree"] == "direct") & (det["serious"] > 0)]
        parts.append(_frame("accountability_not_exempt_direct", d["officer_id"], [period.end] * len(d), False,
                            ref=d["case_id"]))
    return pd.concat(parts, ignore_index=True)[COLUMNS] if parts else pd.DataFrame(columns=COLUMNS)
