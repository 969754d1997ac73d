"""The month being reported and the lookups every mart needs (built once)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from postloan.policy import Policy, WorkCalendar
from postloan.rules import attribution
from postloan.validation import Extract


class MonthError(ValueError):
    pass


@dataclass
class MonthContext:
    extract: Extract
    month: str
    policy: Policy
    calendar: WorkCalendar

    def __post_init__(self):
        available = self.extract.months()
        if self.month not in available:
            raise MonthError(f"数据中没有 {self.month} 的月末快照 (month_not_in_extract)；"
                             f"可用月份 {available[0]} 至 {available[-1]}" if available else "数据中没有任何月末快照")

    # ---- time -------------------------------------------------------------
    @cached_property
    def period(self) -> pd.Period:
        return pd.Period(self.month, "M")

    @property
    def start(self) -> pd.Timestamp:
        return self.period.start_time.normalize()

    @property
    def end(self) -> pd.Timestamp:
        return self.period.end_time.normalize()

    @property
    def prev_month(self) -> str:
        return str(self.period - 1)

    @property
    def year_start(self) -> pd.Timestamp:
        return pd.Timestamp(year=self.period.year, month=1, day=1)

    def in_month(self, dates: pd.Series) -> pd.Series:
        return (dates >= self.start) & (dates <= self.end)

    # ---- organisation -----------------------------------------------------
    @cached_property
    def branches(self) -> pd.DataFrame:
        """branch_id -> managing_branch_id (the 分行 above a 支行, itself for a 分行, None for 总行)."""
        b = self.extract["branches"].copy()
        parent = b.set_index("branch_id")["parent_id"]
        level = b.set_index("branch_id")["level"]
        b["managing_branch_id"] = [
            bid if level[bid] == "branch" else (parent[bid] if level[bid] == "sub_branch" else None)
            for bid in b["branch_id"]]
        return b

    @cached_property
    def customers(self) -> pd.DataFrame:
        c = self.extract["customers"].merge(
            self.branches[["branch_id", "managing_branch_id", "branch_name"]],
            left_on="operating_branch_id", right_on="branch_id", how="left").drop(columns="branch_id")
        return c.rename(columns={"name": "customer_name", "branch_name": "operating_branch_name"})

    @cached_property
    def loans(self) -> pd.DataFrame:
        """Loans with their customer, type and branches (the scope keys)."""
        cols = ["customer_id", "customer_name", "customer_type", "industry_code", "operating_branch_id",
                "managing_branch_id", "operating_branch_name", "is_key_customer"]
        loans = self.extract["loans"].merge(self.customers[cols], on="customer_id", how="left")
        loans["effective_maturity"] = loans["extended_maturity_date"].fillna(loans["maturity_date"])
        return loans

    @cached_property
    def officers(self) -> pd.DataFrame:
        return self.extract["officers"]

    def officer_names(self) -> dict:
        return dict(zip(self.officers["officer_id"], self.officers["name"]))

    # ---- responsibility ---------------------------------------------------
    def responsible(self, customer_ids, dates) -> np.ndarray:
        """officer_id responsible for each (customer, date) per the assignments history; None if nobody."""
        a = self.extract["assignments"]
        key = ("assignments_by_start", id(a), len(a))        # prepared once per extract, asked ~90 times a run
        if key not in self.extract.memo:
            self.extract.memo[key] = attribution.by_start(a)
        return attribution.responsible(self.extract.memo[key], customer_ids, dates, ready=True)


def lookup(keys: pd.Series, mapping: pd.Series) -> pd.Series:
    """keys.map(mapping) that also works for an empty or datetime mapping (pandas 3's
    Series.map casts an empty datetime mapper to float and fails)."""
    mapping = mapping[~mapping.index.duplicated()]
    values = mapping.reindex(pd.Index(keys.astype(object).to_numpy())).to_numpy()
    return pd.Series(values, index=keys.index, dtype=mapping.dtype if len(mapping) else None)
