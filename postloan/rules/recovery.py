"""What counts as recovered (METRICS.md "recovered_cash"; accountability "recovered").

One definition per question, used by the pack, the scorecards and the review:

- `CASH_METHODS` — cash recovered in a period (recovered_cash, the recovery indicator,
  promises kept): the borrower's cash, a guarantor's payment, the sale of collateral.
- `RECOVERED_METHODS` — what reduced the bank's loss on a case: the cash methods plus
  transfer proceeds and the value of assets taken in settlement (以物抵债).
- `OBLIGOR_PAYMENT_METHODS` — a payment by the borrower itself, which interrupts the
  main debt's limitation as part performance (民法典 第195条); a guarantor's payment or
  a court sale does not.
"""
from __future__ import annotations

import pandas as pd

CASH_METHODS = ("cash", "guarantor_payment", "collateral_sale")
RECOVERED_METHODS = CASH_METHODS + ("transfer", "foreclosure")
OBLIGOR_PAYMENT_METHODS = ("cash",)
WRITE_OFF_METHOD = "write_off"


def between(rec: pd.DataFrame, start=None, end=None) -> pd.Series:
    """Recoveries dated from `start` to `end` inclusive (either may be None)."""
    ok = pd.Series(True, index=rec.index)
    if start is not None:
        ok &= rec["recovery_date"] >= start
    if end is not None:
        ok &= rec["recovery_date"] <= end
    return ok


def cash_recoveries(rec: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    return rec[rec["method"].isin(CASH_METHODS) & between(rec, start, end)]


def obligor_payments(rec: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    return rec[rec["method"].isin(OBLIGOR_PAYMENT_METHODS) & between(rec, start, end)]


def recovered_by_loan(rec: pd.DataFrame, end) -> pd.Series:
    """loan_id -> amount recovered on or before `end` (cash, guarantor, collateral sale,
    transfer proceeds, foreclosure value)."""
    r = rec[rec["method"].isin(RECOVERED_METHODS) & between(rec, None, end)]
    return r.groupby("loan_id")["amount"].sum()
