"""工作移交: handovers that took effect in M.

Mart `handovers` — grain: assignments row starting in M with a handover reason;
the outgoing officer, the witness and the signature, flagged when missing.
"""
from __future__ import annotations

import pandas as pd

from postloan.marts.context import MonthContext
from postloan.rules.attribution import with_outgoing


def build_handovers(ctx: MonthContext) -> pd.DataFrame:
    a = with_outgoing(ctx.extract["assignments"])
    h = a[a["handover_reason"].notna() & ctx.in_month(a["start_date"])].copy()
    h["missing_witness"] = h["witness_officer_id"].isna()
    h["missing_signature"] = h["handover_signed_date"].isna() | (h["handover_signed_date"] > ctx.end)
    c = ctx.customers.set_index("customer_id")
    for col in ("customer_name", "operating_branch_id", "managing_branch_id"):
        h[col] = h["customer_id"].map(c[col])
    return h.reset_index(drop=True)
