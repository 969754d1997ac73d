"""档案与数据质量: archive defects and data-quality findings about the extract.

Mart `archive_defects` — grain: archive document due on or before the end of M and
received late or not at all (loans on the book in the last 12 months).
Mart `data_quality` — grain: finding; inconsistencies that are not contract
violations but that a reader of the figures should know.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.marts.context import MonthContext


def build_archive_defects(ctx: MonthContext) -> pd.DataFrame:
    a = ctx.extract["archives"]
    a = a[a["due_date"] <= ctx.end].copy()
    received = a["received_date"].notna() & (a["received_date"] <= ctx.end)
    a["defect"] = np.where(~received, "missing", np.where(a["received_date"] > a["due_date"], "late", None))
    a = a[a["defect"].notna()]
    a["days_late"] = np.where(a["defect"] == "late", (a["received_date"] - a["due_date"]).dt.days,
                              (ctx.end - a["due_date"]).dt.days)
    a = a.merge(ctx.loans[["loan_id", "customer_id", "customer_name", "operating_branch_id", "managing_branch_id"]],
                on="loan_id", how="left")
    a["officer_id"] = ctx.responsible(a["customer_id"], a["due_date"])
    return a.reset_index(drop=True)


def _finding(check, label, frame, detail):
    return pd.DataFrame({"check": check, "label": label, "loan_id": frame.get("loan_id"),
                         "customer_id": frame["customer_id"].to_numpy(), "detail": detail,
                         "operating_branch_id": frame["operating_branch_id"].to_numpy(),
                         "managing_branch_id": frame["managing_branch_id"].to_numpy()})


def build_data_quality(ctx: MonthContext, snap: pd.DataFrame) -> pd.DataFrame:
    a = snap[snap["active"]]
    parts = []
    no_prov = a[a["provision"].isna()]
    if len(no_prov):
        parts.append(_finding("provision_missing", "拨备缺失", no_prov, "在账贷款未提供拨备金额"))
    bad_od = a[(a["dpd"] == 0) & ((a["overdue_principal"] > 0) | (a["overdue_interest"] > 0))]
    parts.append(_finding("overdue_amount_without_dpd", "有逾期金额但逾期天数为 0", bad_od,
                          "逾期本金 " + bad_od["overdue_principal"].round(2).astype(str)))
    past = a[(a["effective_maturity"] < ctx.end - pd.Timedelta(days=31)) & (a["dpd"] == 0)]
    parts.append(_finding("past_maturity_not_overdue", "已过到期日但未逾期", past,
                          "到期日 " + past["effective_maturity"].dt.strftime("%Y-%m-%d")))
    assigned = ctx.responsible(a["customer_id"], [ctx.end] * len(a))
    orphan = a[pd.isna(assigned)]
    parts.append(_finding("no_responsible_officer", "无管户人员", orphan, "月末无管户关系"))
    return pd.concat(parts, ignore_index=True)
