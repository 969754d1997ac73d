"""A hostile extract: the sample bank with formula and markup payloads in every free-text
column and in the customer, officer and loan ids (which the contract lets be any text),
as a careless clerk or an attacker could type them into the credit system."""
from __future__ import annotations

import pandas as pd

from postloan.contract import TABLES

PAYLOADS = [
    '=HYPERLINK("http://x.example","click")',
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    '"><svg onload=alert(3)>',
    "+1-1@",
    "@SUM(1+1)",
    "-2+3",
]
FREE_TEXT = {"branches": ["branch_name"], "officers": ["name"], "customers": ["name", "credit_rating"],
             "loans": ["purpose"], "inspections": ["findings"],
             "warnings": ["signal_code", "measures", "release_reason"], "guarantees": ["guarantor_name"],
             "guarantee_agencies": ["name"], "fund_payments": ["payee_name"], "collection_actions": ["agency_name"],
             "recoveries": ["package_id"], "meeting_actions": ["item"]}
IDS = ["customers.customer_id", "officers.officer_id", "loans.loan_id"]


def hostile_tables(tables: dict[str, pd.DataFrame], every: int = 3) -> dict[str, pd.DataFrame]:
    """Every `every`-th value of each free-text column prefixed with a payload; the first
    rows' ids given a payload (all references follow)."""
    out = {name: frame.copy() for name, frame in tables.items()}
    for name, cols in FREE_TEXT.items():
        for col in cols:
            s = out[name][col].astype(object)
            rows = range(0, len(s), every)
            s.iloc[list(rows)] = [PAYLOADS[i % len(PAYLOADS)] + ("" if pd.isna(v) else str(v))
                                  for i, v in zip(rows, s.iloc[list(rows)])]
            out[name][col] = s
    for key in IDS:
        table, col = key.split(".")
        ids = out[table][col].astype(object)
        mapping = {v: f"{PAYLOADS[i % len(PAYLOADS)]}{v}" for i, v in enumerate(ids.iloc[:len(PAYLOADS)])}
        for name, spec in TABLES.items():
            if name not in out:
                continue
            for c in spec.columns:
                if (c.ref == key or (name == table and c.name == col)) and c.name in out[name].columns:
                    out[name][c.name] = out[name][c.name].astype(object).map(lambda v: mapping.get(v, v))
    return out
