"""Cases and their duty-by-duty timelines.

Mart `accountability_cases` — grain: case (one loan): why it is reviewed, the case date,
loss, 普惠 scope.
Mart `accountability_timeline` — grain: one duty of one case from disbursement to the case
date: when it fell due, whether and when it was done, who was responsible then (per the
assignments history; None = nobody assigned), and the lapse it makes if any. Events
(periods with nobody assigned, handovers without witness or signature) are rows too.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.accountability.config import AccountabilityConfig
from postloan.glossary import term_labels
from postloan.marts.context import MonthContext, lookup
from postloan.marts.inspections import _routine_windows
from postloan.periods import Period
from postloan.policy import NPL_CLASSES
from postloan.rules.conduct import conduct_flags
from postloan.rules.deadlines import legal_deadlines
from postloan.rules.default import default_dates
from postloan.rules.duties import (collection_start_due, first_inspection_done, first_inspection_due, payment_exceptions,
                                   revaluation_due, warning_deadlines, warrant_due)
from postloan.rules.recovery import recovered_by_loan

# a lost legal right is a lapse of the duty that should have kept it
RIGHT_DUTY = {"limitation": "limitation", "notarized": "legal_deadline", "guarantee_period": "guarantee_period",
              "guarantee_debt": "guarantee_period", "enforcement": "legal_deadline", "bankruptcy_claim": "legal_deadline",
              "preservation": "legal_deadline"}


def _last_active_balance(ctx: MonthContext) -> pd.Series:
    """loan_id -> balance at the loan's last month-end as an active loan (once per extract)."""
    if "last_active_balance" not in ctx.extract.memo:
        lm = ctx.extract["loan_month"]
        prev = lm[lm["status"] == "active"].sort_values("month").drop_duplicates("loan_id", keep="last")
        ctx.extract.memo["last_active_balance"] = prev.set_index("loan_id")["balance"]
    return ctx.extract.memo["last_active_balance"]


def _bad_book(ctx: MonthContext, end: pd.Timestamp) -> pd.Index:
    """Loans that were NPL at a month-end, or written off, on or before `end`."""
    lm = ctx.extract["loan_month"]
    lm = lm[lm["month"] <= str(pd.Period(end, "M"))]
    bad = (lm["status"] == "written_off") | ((lm["status"] == "active") & lm["classification"].isin(NPL_CLASSES))
    return pd.Index(lm.loc[bad, "loan_id"].unique())


def rights_lost(ctx: MonthContext, loan_ids, as_of: pd.Timestamp) -> pd.DataFrame:
    """The legal deadlines of `loan_ids` that had passed by `as_of` (rules.deadlines)."""
    loans = ctx.loans[ctx.loans["loan_id"].isin(loan_ids)]
    d = legal_deadlines(ctx.extract, loans, ctx.policy, as_of)
    return d[d["deadline"] <= as_of]


def select_cases(ctx: MonthContext, period: Period, cfg: AccountabilityConfig) -> pd.DataFrame:
    sel = cfg.case_selection
    lm = ctx.extract["loan_month"]
    months = period.months
    bal = _last_active_balance(ctx)
    rows = []
    if sel.became_npl:
        x = lm[lm["month"].isin(months + [str(pd.Period(period.start, "M") - 1)])].sort_values(["loan_id", "month"])
        npl = x["classification"].isin(NPL_CLASSES) & (x["status"] == "active")
        prev = npl.groupby(x["loan_id"]).shift(fill_value=True).astype(bool)
        new = x[npl & ~prev & x["month"].isin(months)].drop_duplicates("loan_id")
        rows.append(pd.DataFrame({"loan_id": new["loan_id"].to_numpy(), "reason": "became_npl",
                                  "case_date": pd.PeriodIndex(new["month"], freq="M").end_time.normalize(),
                                  "case_balance": new["balance"].to_numpy()}))
    for status, flag in (("written_off", sel.written_off), ("transferred", sel.transferred)):
        if flag:
            x = lm[lm["month"].isin(months) & (lm["status"] == status)]
            rows.append(pd.DataFrame({"loan_id": x["loan_id"].to_numpy(), "reason": status,
                                      "case_date": pd.PeriodIndex(x["month"], freq="M").end_time.normalize(),
                                      "case_balance": x["loan_id"].astype(object).map(bal).to_numpy()}))
    if sel.right_lost:
        lost = rights_lost(ctx, _bad_book(ctx, period.end), period.end)
        lost = lost[lost["deadline"] >= period.start].sort_values("deadline").drop_duplicates("loan_id")
        rows.append(pd.DataFrame({"loan_id": lost["loan_id"].to_numpy(), "reason": "right_lost",
                                  "case_date": lost["deadline"].to_numpy(),
                                  "case_balance": lost["loan_id"].astype(object).map(bal).to_numpy()}))
    if sel.loan_ids:
        known = ctx.loans[ctx.loans["loan_id"].isin(sel.loan_ids)]
        at_end = lm[(lm["month"] == period.last_month)].set_index("loan_id")["balance"]
        rows.append(pd.DataFrame({"loan_id": known["loan_id"].to_numpy(), "reason": "listed", "case_date": period.end,
                                  "case_balance": known["loan_id"].astype(object).map(at_end).to_numpy()}))
    cases = pd.concat(rows, ignore_index=True)
    # one case per loan: the latest of its dates (so that its timeline covers every reason), every reason named
    reasons = cases.groupby("loan_id")["reason"].agg(lambda r: ",".join(dict.fromkeys(r)))
    cases = cases.sort_values(["case_date", "loan_id"]).drop_duplicates("loan_id", keep="last")
    cases["reasons"] = cases["loan_id"].map(reasons)
    cases = cases.merge(ctx.loans[["loan_id", "customer_id", "customer_name", "customer_type", "product", "amount",
                                   "disbursement_date", "effective_maturity", "guarantee_type", "operating_branch_id",
                                   "managing_branch_id"]], on="loan_id")
    cases = cases.sort_values(["case_date", "loan_id"]).reset_index(drop=True)
    cases["case_balance"] = cases["case_balance"].astype(float).fillna(0.0)
    recovered = recovered_by_loan(ctx.extract["recoveries"], period.end)
    cases["recovered"] = cases["loan_id"].astype(object).map(recovered).astype(float).fillna(0.0)
    cases["loss"] = (cases["case_balance"] - cases["recovered"]).clip(lower=0)
    cases["customer_credit"] = _credit_at(ctx, cases)
    cases["default_date"] = default_dates(lm, cases["loan_id"], cfg.default_dpd_over).reindex(
        cases["loan_id"]).to_numpy()
    sc = cfg.inclusive_scope
    cases["inclusive_scope"] = ((cases["customer_type"].isin(sc.customer_types) | cases["product"].isin(sc.products))
                                & (cases["customer_credit"] <= sc.max_customer_credit))
    cases["case_id"] = [f"AC-{period.label}-{i + 1:04d}" for i in range(len(cases))]
    labels = term_labels("case_reason")
    cases["reason_cn"] = cases["reasons"].map(lambda r: "、".join(labels.get(x, x) for x in r.split(",")))
    return cases.reset_index(drop=True)


def _credit_at(ctx: MonthContext, cases: pd.DataFrame) -> np.ndarray:
    """The customer's credit at the case date: the amounts of its loans disbursed by then and
    still on the book (active at the case date's month-end), plus the case loan itself."""
    lm = ctx.extract["loan_month"]
    q = cases[["loan_id", "customer_id", "case_date"]].assign(month=cases["case_date"].dt.strftime("%Y-%m"), _i=range(len(cases)))
    book = lm[(lm["status"] == "active") & lm["month"].isin(q["month"].unique())][["month", "loan_id"]].merge(
        ctx.loans[["loan_id", "customer_id", "amount", "disbursement_date"]], on="loan_id")
    m = q.merge(book, on=["customer_id", "month"], suffixes=("", "_other"))
    m = m[(m["disbursement_date"] <= m["case_date"]) & (m["loan_id_other"] != m["loan_id"])]
    others = m.groupby("_i")["amount"].sum()
    own = cases["amount"].astype(float).to_numpy()
    return own + others.reindex(range(len(cases))).fillna(0.0).to_numpy()


def _rows(duty, cases_part, due, done, officer, ref, detail="", forced_lapse=None) -> pd.DataFrame:
    f = pd.DataFrame({"case_id": cases_part["case_id"].to_numpy(), "loan_id": cases_part["loan_id"].to_numpy(),
                      "duty": duty, "due_date": pd.to_datetime(pd.Series(due)).to_numpy(),
                      "done_date": pd.to_datetime(pd.Series(done)).to_numpy() if done is not None else pd.NaT,
                      "officer_id": pd.Series(officer, dtype=object).to_numpy(),
                      "ref": pd.Series(ref, dtype=object).to_numpy() if not isinstance(ref, str) else ref,
                      "detail": detail if isinstance(detail, str) else pd.Series(detail, dtype=object).to_numpy()})
    if forced_lapse is not None:
        f["forced"] = np.asarray(forced_lapse, dtype=bool)
    return f


def build_timeline(ctx: MonthContext, cases: pd.DataFrame, cfg: AccountabilityConfig) -> pd.DataFrame:
    pol = ctx.policy
    parts = []
    resp = ctx.responsible
    # first inspection
    due = first_inspection_due(cases, pol)
    ins = ctx.extract["inspections"]
    done = first_inspection_done(cases, ins)["done_date"]
    keep = (due <= cases["case_date"]).to_numpy()
    parts.append(_rows("first_inspection", cases[keep], due[keep], done[keep],
                       resp(cases.loc[keep, "customer_id"], due[keep]), "首次检查"))
    # routine windows from disbursement to the case date
    first_day = min(cases["disbursement_date"].min(), cases["case_date"].min())
    start = max(first_day, pd.Timestamp(ctx.extract.months()[0] + "-01"))
    w = _routine_windows(ctx, start, cases["case_date"].max())
    w = w.merge(cases[["case_id", "loan_id", "customer_id", "disbursement_date", "case_date"]], on="customer_id")
    w = w[(w["window_start"] >= w["disbursement_date"]) & (w["due_date"] <= w["case_date"])]
    q = ins[ins["kind"].isin(pol.inspection.routine.qualifying_kinds)][["customer_id", "completed_date"]]
    m = w.merge(q, on="customer_id", how="left")
    m = m[(m["completed_date"] >= m["window_start"]) & (m["completed_date"] <= m["due_date"])]
    met = m.groupby(["case_id", "window_start"])["completed_date"].min()
    wd = pd.to_datetime(pd.Series([met.get((a, b)) for a, b in zip(w["case_id"], w["window_start"])], dtype=object))
    parts.append(_rows("routine_inspection", w, w["due_date"], wd.to_numpy(), resp(w["customer_id"], w["due_date"]),
                       w["window"].astype(str) + ":" + w["window_start"].dt.strftime("%Y-%m-%d")))
    # warnings of the customer identified between disbursement and the case date
    wl = ctx.extract["warnings"]
    wl = wl[wl["status"] != "rejected"].merge(cases[["case_id", "loan_id", "customer_id", "disbursement_date",
                                                     "case_date"]], on="customer_id")
    wl = wl[(wl["identified_date"] >= wl["disbursement_date"]) & (wl["identified_date"] <= wl["case_date"])]
    who = resp(wl["customer_id"], wl["identified_date"])
    wd = warning_deadlines(wl, pol, ctx.calendar)
    case_day = wl["case_date"].to_numpy().astype("datetime64[D]")
    for duty, deadline, col, detail in (("warning_report", "report_deadline", "reported_date", wl["level"]),
                                        ("warning_handling", "handling_deadline", "first_measure_date", wl["level"]),
                                        ("warning_entry", "entry_deadline", "entered_date", "")):
        dl = wd[deadline].to_numpy()
        ok = dl.astype("datetime64[D]") <= case_day
        sub = wl[ok]
        parts.append(_rows(duty, sub, dl[ok], sub[col], who[ok], sub["warning_id"],
                           detail[ok] if not isinstance(detail, str) else detail))
    # collateral revaluation (latest appraisal) and title warrant
    col = ctx.extract["collateral"].merge(cases[["case_id", "loan_id", "customer_id", "disbursement_date",
                                                 "guarantee_type", "case_date"]], on="loan_id")
    reval_due = revaluation_due(col, pol)
    stale = reval_due < col["case_date"]
    sub = col[stale]
    parts.append(_rows("collateral_revaluation", sub, reval_due[stale], None, resp(sub["customer_id"], reval_due[stale]),
                       sub["collateral_id"], "最近评估 " + sub["appraisal_date"].dt.strftime("%Y-%m-%d")))
    wdue = warrant_due(col, pol)
    need = col[wdue.notna()]
    wdue = wdue[need.index]
    keep = wdue <= need["case_date"]
    sub = need[keep]
    parts.append(_rows("title_warrant", sub, wdue[keep], sub["warrant_received_date"],
                       resp(sub["customer_id"], wdue[keep]), sub["collateral_id"]))
    # entrusted payment and purpose: each payment up to the case date
    pay = ctx.extract["fund_payments"].merge(cases[["case_id", "loan_id", "customer_id", "product", "case_date"]],
                                             on="loan_id")
    pay = pay[pay["payment_date"] <= pay["case_date"]]
    bad = payment_exceptions(pay, pol)["exception"]
    parts.append(_rows("entrusted_payment", pay, pay["payment_date"], pay["payment_date"].where(~bad),
                       resp(pay["customer_id"], pay["payment_date"]), pay["payment_id"],
                       pay["mode"].astype(str) + "/" + pay["payee_category"].astype(str), forced_lapse=bad))
    # collection start: each delinquency spell up to the case date
    lm = ctx.extract["loan_month"]
    lm = lm[lm["loan_id"].isin(cases["loan_id"])].sort_values(["loan_id", "month"])
    prev = lm.groupby("loan_id")["dpd"].shift(fill_value=0)
    sp = lm[(lm["dpd"] > 0) & (prev == 0)].merge(cases[["case_id", "loan_id", "customer_id", "case_date"]], on="loan_id")
    sp_start = pd.PeriodIndex(sp["month"], freq="M").end_time.normalize() - pd.to_timedelta(sp["dpd"] - 1, unit="D")
    sp_start = pd.Series(sp_start, index=sp.index)
    sp_due = collection_start_due(sp_start, pol)
    act = ctx.extract["collection_actions"]
    a = sp[["case_id", "loan_id"]].assign(s=sp_start.to_numpy(), _i=sp.index).merge(
        act[["loan_id", "action_time"]], on="loan_id", how="left")
    a = a[a["action_time"] >= a["s"]]
    first_act = a.groupby("_i")["action_time"].min().dt.normalize()
    keep = (sp_due <= sp["case_date"]).to_numpy()
    sub = sp[keep]
    parts.append(_rows("collection_start", sub, sp_due[keep], pd.to_datetime(lookup(pd.Series(sub.index), first_act)).to_numpy(),
                       resp(sub["customer_id"], sp_due[keep]), sub["month"].astype(str)))
    # collection conduct: night contact and third-party contact
    ca = act.merge(cases[["case_id", "loan_id", "case_date"]], on="loan_id")
    ca = ca[ca["action_time"] < ca["case_date"] + pd.Timedelta(days=1)]
    sub = ca[conduct_flags(ca, pol.collection.conduct)["breach"]]
    parts.append(_rows("collection_conduct", sub, sub["action_time"].dt.normalize(), None, sub["officer_id"],
                       sub["action_id"], sub["channel"].astype(str) + "/" + sub["contacted_party"].astype(str),
                       forced_lapse=np.ones(len(sub), dtype=bool)))
    # legal rights lost by the case date: limitation, guarantee periods, enforcement … (rules.deadlines)
    lost = []
    for day, group in cases.groupby("case_date"):
        r = rights_lost(ctx, group["loan_id"], day).merge(group[["case_id", "loan_id"]], on="loan_id")
        lost.append(r)
    lr = pd.concat(lost, ignore_index=True) if lost else pd.DataFrame()
    if len(lr):
        kinds = term_labels("legal_deadline_kind")
        parts.append(_rows(lr["kind"].map(RIGHT_DUTY).to_numpy(), lr, lr["deadline"], None,
                           resp(lr["customer_id"], lr["deadline"]), lr["ref"],
                           lr["kind"].map(kinds) + "届满：" + lr["party"].astype(str) + "；" + lr["note"].astype(str),
                           forced_lapse=np.ones(len(lr), dtype=bool)))
    # archives
    ar = ctx.extract["archives"].merge(cases[["case_id", "loan_id", "customer_id", "case_date"]], on="loan_id")
    ar = ar[ar["due_date"] <= ar["case_date"]]
    parts.append(_rows("archives", ar, ar["due_date"], ar["received_date"], resp(ar["customer_id"], ar["due_date"]),
                       ar["doc_type"]))
    tl = pd.concat([p for p in parts if len(p)], ignore_index=True)
    if "forced" not in tl:
        tl["forced"] = False
    tl["forced"] = tl["forced"].fillna(False).astype(bool)
    tl = tl.merge(cases[["case_id", "case_date"]], on="case_id")
    late_days = (tl["done_date"] - tl["due_date"]).dt.days
    missing = tl["done_date"].isna() | (tl["done_date"] > tl["case_date"])
    tl["status"] = np.select([tl["forced"], missing, late_days > 0], ["lapse", "missing", "late"], "on_time")
    tl["days_late"] = np.where(tl["status"] == "late", late_days,
                               np.where(tl["status"] == "missing", (tl["case_date"] - tl["due_date"]).dt.days, np.nan))
    tl = pd.concat([tl, _events(ctx, cases)], ignore_index=True)
    for col in ("due_date", "done_date", "case_date"):
        tl[col] = pd.to_datetime(tl[col]).astype("datetime64[ns]")
    tl["duty_cn"] = tl["duty"].map(term_labels("duty"))
    return tl.drop(columns=["forced"]).sort_values(["case_id", "due_date", "duty"]).reset_index(drop=True)


def _events(ctx: MonthContext, cases: pd.DataFrame) -> pd.DataFrame:
    """Periods with nobody assigned and handovers without witness or signature, per case."""
    a = ctx.extract["assignments"]
    a = a[a["customer_id"].isin(cases["customer_id"])].sort_values(["customer_id", "start_date"])
    by_customer = {k: g for k, g in a.groupby("customer_id", sort=False, observed=True)}
    none = a.iloc[:0]
    rows = []
    for r in cases.itertuples():
        x = by_customer.get(r.customer_id, none)
        cursor = r.disbursement_date
        for s in x.itertuples():
            if s.start_date > cursor and cursor < r.case_date:
                rows.append((r.case_id, r.loan_id, "unassigned", cursor, min(s.start_date, r.case_date), None,
                             "gap", f"{cursor:%Y-%m-%d} 至 {min(s.start_date, r.case_date):%Y-%m-%d} 无人管户"))
            if pd.notna(s.handover_reason) and r.disbursement_date <= s.start_date <= r.case_date and (
                    pd.isna(s.witness_officer_id) or pd.isna(s.handover_signed_date)):
                what = "、".join(w for w, missing in (("无监交人", pd.isna(s.witness_officer_id)),
                                                     ("移交清单未签字", pd.isna(s.handover_signed_date))) if missing)
                rows.append((r.case_id, r.loan_id, "handover", s.start_date, pd.NaT, s.officer_id, "handover", what))
            end = s.end_date if pd.notna(s.end_date) else r.case_date + pd.Timedelta(days=1)
            cursor = max(cursor, end)
        if cursor < r.case_date:
            rows.append((r.case_id, r.loan_id, "unassigned", cursor, r.case_date, None, "gap",
                         f"{cursor:%Y-%m-%d} 起无人管户"))
    ev = pd.DataFrame(rows, columns=["case_id", "loan_id", "duty", "due_date", "done_date", "officer_id", "ref", "detail"])
    ev["status"] = "event"
    return ev
