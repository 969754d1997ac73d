"""Legal deadlines (METRICS.md "Legal deadlines"; 民法典 第188、192–195、419、692–695条,
民事诉讼法 2023 第250条, 诉讼时效规定, 担保制度解释 第24、28、29、44条, 企业破产法 第45条).

`legal_deadlines(extract, loans, policy, as_of)` is the one computation: the meeting pack
lists it at the end of the month, the accountability review asks it at each case date
which rights were lost. Only facts dated on or before `as_of` count.

Readings taken where the texts or the extract leave room (each chosen so that no
deadline is reported later than it may fall):
- a case against the borrower that ended without a judgment and has no closed_date
  restarts the limitation from its filed_date;
- a collection action or case without guarantee_id counts as a claim on a guarantor only
  when the loan has exactly one guarantee (担保制度解释 第29条);
- a general guarantee whose debt limitation has not started yet has no row;
- once the main debt's limitation has run out, a claimed guarantee ends with it
  (诉讼时效规定 第18条).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.rules.recovery import obligor_payments

# who a case or an action is against / with
BORROWER, GUARANTOR = "borrower", "guarantor"
SUITS = ("lawsuit", "arbitration")                  # what keeps a general guarantee (第693条第1款)
ENDED_WITHOUT_JUDGMENT = ("withdrawn", "closed")
COLUMNS = ["loan_id", "customer_id", "kind", "ref", "party", "base_date", "last_event", "deadline", "note"]


def _day_end(as_of: pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)


def _of_loans(extract, table: str, ids) -> pd.DataFrame:
    """The rows of `table` about the loans `ids` (through the extract's grouping when it has one)."""
    if hasattr(extract, "rows_for"):
        return extract.rows_for(table, "loan_id", ids)
    t = extract[table]
    return t[t["loan_id"].isin(ids)]


def _cases(extract, ids, as_of) -> pd.DataFrame:
    c = _of_loans(extract, "legal_cases", ids)
    c = c[(c["filed_date"] <= as_of)].copy()
    c["against"] = c["against"].astype(object).where(c["against"].notna(), BORROWER)
    judged = (c["judgment_date"] <= as_of).fillna(False).astype(bool)
    closed = (c["closed_date"] <= as_of).fillna(False).astype(bool)
    ended = ~judged & (closed | (c["status"].isin(ENDED_WITHOUT_JUDGMENT) & c["closed_date"].isna()))
    c["judged"], c["ended"] = judged, ended.fillna(False).astype(bool)
    c["restart"] = c["closed_date"].where(closed, c["filed_date"])
    return c


def _dates(keys: pd.Series, mapping: pd.Series) -> pd.Series:
    """keys mapped to the dates of a keyed series (NaT when absent; safe for an empty mapping)."""
    mapping = mapping[~mapping.index.duplicated()]
    values = pd.to_datetime(mapping).reindex(pd.Index(keys.astype(object).to_numpy()))
    return pd.Series(values.to_numpy(), index=keys.index, dtype="datetime64[ns]")


def _base_dates(loans: pd.DataFrame) -> pd.Series:
    """The day the main debt fell due: the (extended) maturity, or the acceleration date."""
    acc = loans["accelerated_date"]
    return acc.where(acc.notna() & (acc < loans["effective_maturity"]), loans["effective_maturity"])


def legal_deadlines(extract, loans: pd.DataFrame, policy, as_of) -> pd.DataFrame:
    """Every legal deadline of `loans` as it stands at the end of `as_of` (one row per
    loan × deadline; `deadline` may be before `as_of`: the right is then lost)."""
    as_of = pd.Timestamp(as_of).normalize()
    pol = policy.legal
    loans = loans.drop_duplicates("loan_id").set_index("loan_id", drop=False)
    ids = loans.index
    base = _base_dates(loans)
    act = _of_loans(extract, "collection_actions", ids)
    act = act[act["evidence"].fillna(False).astype(bool) & (act["action_time"] < _day_end(as_of))]
    act = act.assign(day=act["action_time"].dt.normalize())
    cases = _cases(extract, ids, as_of)
    on_borrower = cases[cases["against"] == BORROWER]
    parts = []

    # 1 the main debt's limitation (诉讼时效): 3 years from the later of the base date and
    #   the last interruption; suspended while a case against the borrower is open;
    #   after a judgment, replaced by the enforcement deadline
    demands = act[act["contacted_party"] == BORROWER][["loan_id", "day"]]
    paid = obligor_payments(_of_loans(extract, "recoveries", ids), None, as_of)
    paid = paid.rename(columns={"recovery_date": "day"})[["loan_id", "day"]]
    ended = on_borrower[on_borrower["ended"]].rename(columns={"restart": "day"})[["loan_id", "day"]]
    stops = on_borrower[~on_borrower["ended"]].rename(columns={"filed_date": "day"})
    events = pd.concat([demands.assign(stop=None), paid.assign(stop=None), ended.assign(stop=None),
                        stops[["loan_id", "day"]].assign(stop=np.where(stops["judged"], "judged", "suspended"))],
                       ignore_index=True)
    years = pd.DateOffset(years=pol.limitation_years.years)
    lim_deadline, last, state = _limitation(base, events, years)
    judged_loans = {k for k, v in state.items() if v == "judged"}
    running = ~ids.isin(list(state))
    lim = loans[running]
    parts.append(pd.DataFrame({
        "loan_id": lim["loan_id"], "customer_id": lim["customer_id"], "kind": "limitation", "ref": lim["loan_id"],
        "party": "借款人", "base_date": base[running], "last_event": last[running],
        "deadline": lim_deadline[running],
        "note": np.where(last[running] > base[running], "最近一次中断后重新起算", "自到期日起算")}))
    main_deadline = lim_deadline.where(running)        # NaT while suspended or judged

    # 2 notarised instrument with enforcement force: 2 years from the base date to apply
    notar = loans["notarized_enforceable"].fillna(False).astype(bool)
    applied = set(cases.loc[cases["kind"] == "notarized_enforcement", "loan_id"])
    nt = loans[notar & ~loans["loan_id"].isin(list(applied | judged_loans))]
    parts.append(pd.DataFrame({
        "loan_id": nt["loan_id"], "customer_id": nt["customer_id"], "kind": "notarized", "ref": nt["loan_id"],
        "party": "公证机构/法院", "base_date": base[nt.index], "last_event": base[nt.index],
        "deadline": base[nt.index] + pd.DateOffset(years=pol.notarized_years.years),
        "note": "先取得执行证书，再向法院申请执行"}))

    # 3 guarantee period and guarantee debt limitation, per guarantee
    parts.append(_guarantees(extract, loans, policy, as_of, act, cases, on_borrower, main_deadline))

    # 4 enforcement application after a judgment or award (民事诉讼法 第250条)
    j = cases[cases["judged"] & ~(cases["enforcement_filed_date"] <= as_of).fillna(False).astype(bool)]
    start = j["performance_due_date"].fillna(j["judgment_date"])
    parts.append(pd.DataFrame({
        "loan_id": j["loan_id"], "customer_id": j["loan_id"].map(loans["customer_id"]), "kind": "enforcement",
        "ref": j["case_id"], "party": j["case_id"], "base_date": j["judgment_date"], "last_event": start,
        "deadline": start + pd.DateOffset(years=pol.enforcement_years.years),
        "note": np.where(j["against"] == GUARANTOR, "对保证人的生效裁判", "对借款人的生效裁判")}))

    # 5 bankruptcy claim after the court accepted the debtor's bankruptcy
    parts.append(_bankruptcy_claims(extract, loans, policy, as_of, cases))

    # 6 seizure renewal (续封) of a case not yet ended
    pr = cases[cases["preservation_expiry_date"].notna() & ~cases["ended"]
               & ~(cases["closed_date"] <= as_of).fillna(False).astype(bool)]
    parts.append(pd.DataFrame({
        "loan_id": pr["loan_id"], "customer_id": pr["loan_id"].map(loans["customer_id"]), "kind": "preservation",
        "ref": pr["case_id"], "party": pr["case_id"], "base_date": pr["filed_date"], "last_event": pr["filed_date"],
        "deadline": pr["preservation_expiry_date"], "note": "查封、冻结期限届满前申请续封"}))

    out = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else \
        pd.DataFrame(columns=COLUMNS)
    for col in ("base_date", "last_event", "deadline"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]")
    return out[COLUMNS].reset_index(drop=True)


_NAT = np.iinfo(np.int64).min


def _ns(values: pd.Series) -> np.ndarray:
    """Dates as int64 nanoseconds (NaT: the smallest int64)."""
    return pd.to_datetime(values).astype("datetime64[ns]").to_numpy().view("i8")


def _limitation(base: pd.Series, events: pd.DataFrame, years: pd.DateOffset) -> tuple[pd.Series, pd.Series, dict]:
    """The main debt's limitation of each loan of `base` (index: loan_id; value: the day it fell due):
    its deadline, the day it last (re)started, and {loan_id: "suspended" | "judged"} for the loans
    in proceedings. From the base date, each event (loan_id, day, stop) in day order: one after the
    deadline then running ends the walk (nothing later revives a lost right); a stop (a case
    against the borrower, open or judged) ends it with that state; any other event (an evidenced
    demand, a payment, a case ended without judgment) restarts the 3 years when it extends them.
    Events of a loan on the same day are taken in the order given."""
    ev = events.assign(_order=np.arange(len(events))).sort_values(["loan_id", "day", "_order"])
    loan = ev["loan_id"].astype(object).to_numpy()
    day, plus = _ns(ev["day"]), _ns(ev["day"] + years)
    stop, is_stop = ev["stop"].astype(object).to_numpy(), ev["stop"].notna().to_numpy()
    spans = {}
    if len(loan):
        bounds = np.r_[0, np.flatnonzero(loan[1:] != loan[:-1]) + 1, len(loan)]
        spans = {loan[i0]: (int(i0), int(i1)) for i0, i1 in zip(bounds[:-1], bounds[1:])}
    first, start = _ns(base + years), _ns(base)
    lim, seen, state = first.copy(), start.copy(), {}
    for k, loan_id in enumerate(base.index):
        span = spans.get(loan_id)
        if span is None:
            continue
        d, s = int(first[k]), int(start[k])
        for i in range(*span):
            if d != _NAT and day[i] > d:
                break                                   # the limitation had run out: nothing later revives it
            if is_stop[i]:
                state[loan_id] = stop[i]                # in proceedings, or judged: tracked otherwise
                break
            if d != _NAT and plus[i] > d:
                d, s = int(plus[i]), int(day[i])
        lim[k], seen[k] = d, s
    as_dates = lambda a: pd.Series(a.view("datetime64[ns]"), index=base.index)   # noqa: E731
    return as_dates(lim), as_dates(seen), state


def _chain(starts: pd.Series, events: pd.DataFrame, years: pd.DateOffset) -> pd.Series:
    """key -> the day the running period last restarted: from `start`, each event (guarantee_id,
    day) on or before the period then running restarts it; a later one no longer does."""
    by_key = {k: sorted(g) for k, g in events.groupby("guarantee_id")["day"]}
    out = {}
    for key, start in starts.items():
        seen = start
        for day in by_key.get(key, []):
            if day > seen + years:
                break
            seen = max(seen, day)
        out[key] = seen
    return pd.Series(out, dtype="datetime64[ns]")


def _guarantees(extract, loans, policy, as_of, act, cases, on_borrower, main_deadline) -> pd.DataFrame:
    pol = policy.legal
    g = _of_loans(extract, "guarantees", loans.index).copy()
    if g.empty:
        return pd.DataFrame(columns=COLUMNS)
    ln = loans.loc[g["loan_id"]]
    consented = g["extension_consented"].fillna(False).astype(bool).to_numpy()
    maturity = np.where(consented, ln["effective_maturity"].to_numpy(), ln["maturity_date"].to_numpy())
    maturity = pd.Series(pd.to_datetime(maturity), index=g.index)
    acc = pd.Series(ln["accelerated_date"].to_numpy(), index=g.index)
    maturity = acc.where(acc.notna() & (acc < maturity), maturity)
    agreed = g["period_end_date"].where(g["period_end_date"] > maturity)
    g["period_end"] = agreed.fillna(maturity + pd.DateOffset(months=pol.guarantee_default_months.months))
    g["maturity_used"] = maturity
    single = g.groupby("loan_id")["guarantee_id"].transform("size") == 1

    # claims on this guarantor: evidenced demands and cases naming it (or naming no
    # guarantee when the loan has only this one)
    one = g.loc[single, ["loan_id", "guarantee_id"]]
    def on_guarantor(frame, date_col):
        x = frame[frame["contacted_party" if "contacted_party" in frame else "against"] == GUARANTOR]
        named = x[x["guarantee_id"].notna()][["guarantee_id", date_col]]
        unnamed = x[x["guarantee_id"].isna()][["loan_id", date_col]].merge(one, on="loan_id")[["guarantee_id", date_col]]
        return pd.concat([named, unnamed]).rename(columns={date_col: "day"})
    claims = pd.concat([on_guarantor(act, "day"), on_guarantor(cases, "filed_date")], ignore_index=True)
    claims = claims.merge(g[["guarantee_id", "period_end"]], on="guarantee_id")
    timely = claims[claims["day"] <= claims["period_end"]]
    first_claim = timely.groupby("guarantee_id")["day"].min()
    last_claim = _chain(first_claim, claims, pd.DateOffset(years=pol.limitation_years.years))
    suits = on_borrower[on_borrower["kind"].isin(SUITS)][["loan_id", "filed_date"]].merge(
        g[["loan_id", "guarantee_id", "period_end"]], on="loan_id")
    general_kept = suits[suits["filed_date"] <= suits["period_end"]].groupby("guarantee_id")["filed_date"].min()

    joint = g["mode"].eq("joint").fillna(False).astype(bool)
    gid = g["guarantee_id"].astype(object)
    kept_on = _dates(gid, first_claim).where(joint, _dates(gid, general_kept))
    kept = kept_on.notna()
    party = g["guarantor_name"].astype(object)
    rows = []
    p = g[~kept]
    rows.append(pd.DataFrame({
        "loan_id": p["loan_id"], "customer_id": p["loan_id"].map(loans["customer_id"]), "kind": "guarantee_period",
        "ref": p["guarantee_id"], "party": party[~kept], "base_date": p["maturity_used"], "last_event": p["maturity_used"],
        "deadline": p["period_end"],
        "note": np.where(p["period_end_date"].gt(p["maturity_used"]).fillna(False), "约定保证期间",
                         "未约定或约定早于主债务履行期限，按六个月")}))
    # guarantee debt limitation (第694条): joint — 3 years from the last claim on the
    # guarantor; general — 3 years from the day the bank's right against it could be
    # exercised (终本 ruling, one year after enforcement was applied for, or the debtor
    # missing or bankrupt)
    k = g[kept & joint]
    start_joint = _dates(k["guarantee_id"], last_claim)
    gen = g[kept & ~joint]
    start_gen = _general_start(extract, loans, policy, as_of, on_borrower, gen)
    for frame, start, note in ((k, start_joint, "最近一次向保证人主张权利后起算"),
                               (gen, start_gen, "一般保证：债务人财产不能履行之日起算")):
        frame = frame[start.notna()]
        start = start[start.notna()]
        own = start + pd.DateOffset(years=pol.limitation_years.years)
        main = _dates(frame["loan_id"], main_deadline)
        lost_with_main = main.notna() & (main < own)
        rows.append(pd.DataFrame({
            "loan_id": frame["loan_id"], "customer_id": frame["loan_id"].map(loans["customer_id"]),
            "kind": "guarantee_debt", "ref": frame["guarantee_id"], "party": party[frame.index],
            "base_date": kept_on[frame.index], "last_event": start, "deadline": own.where(~lost_with_main, main),
            "note": np.where(lost_with_main, "主债务诉讼时效先届满，保证人可一并抗辩", note)}))
    return pd.concat([r for r in rows if len(r)], ignore_index=True) if any(len(r) for r in rows) else \
        pd.DataFrame(columns=COLUMNS)


def _general_start(extract, loans, policy, as_of, on_borrower, gen) -> pd.Series:
    if gen.empty:
        return pd.Series(dtype="datetime64[ns]")
    pol = policy.legal
    terminated = on_borrower[(on_borrower["terminated_date"] <= as_of).fillna(False).astype(bool)]
    t = terminated.groupby("loan_id")["terminated_date"].min()
    enf = on_borrower[on_borrower["terminated_date"].isna() & (on_borrower["enforcement_filed_date"] <= as_of).fillna(False)]
    e = (enf.groupby("loan_id")["enforcement_filed_date"].min()
         + pd.DateOffset(years=pol.general_guarantee_after_enforcement_years.years))
    ev = extract["debtor_events"]
    ev = ev[ev["kind"].isin(["missing", "bankruptcy_accepted"]) & (ev["event_date"] <= as_of)]
    cust = ev.groupby("customer_id")["event_date"].min()
    by_loan = _dates(loans["customer_id"], cust)
    first = pd.concat([t, e, by_loan.dropna()]).groupby(level=0).min()
    return _dates(gen["loan_id"], first)


def _bankruptcy_claims(extract, loans, policy, as_of, cases) -> pd.DataFrame:
    ev = extract["debtor_events"]
    ev = ev[(ev["kind"] == "bankruptcy_accepted") & (ev["event_date"] <= as_of)]
    if ev.empty:
        return pd.DataFrame(columns=COLUMNS)
    accepted = ev.groupby("customer_id")["event_date"].min()
    ln = loans[loans["customer_id"].isin(accepted.index)]
    claimed = set(cases.loc[cases["kind"] == "bankruptcy_claim", "loan_id"])
    ln = ln[~ln["loan_id"].isin(list(claimed))]
    day = _dates(ln["customer_id"], accepted)
    return pd.DataFrame({
        "loan_id": ln["loan_id"], "customer_id": ln["customer_id"], "kind": "bankruptcy_claim", "ref": ln["loan_id"],
        "party": "破产管理人", "base_date": day, "last_event": day,
        "deadline": day + pd.Timedelta(days=policy.legal.bankruptcy_claim_days.days),
        "note": "以法院公告的申报期限为准；未申报亦未通知保证人的，保证人在可能受偿范围内免责"})
