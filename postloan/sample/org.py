"""Branches (总行 / 分行 = 管理行 / 支行 = 经营行) and officers with a diligence trait."""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.sample.names import CITIES, person_names
from postloan.sample.profiles import Profile
from postloan.sample.util import DAY


def build_branches(profile: Profile) -> pd.DataFrame:
    rows = [("B000", "总行", None, "head_office")]
    for b in range(profile.branches):
        city, districts = CITIES[b % len(CITIES)]
        bid = f"B{b + 1}00"
        rows.append((bid, f"{city}分行", "B000", "branch"))
        for s in range(profile.sub_branches):
            district = districts[s % len(districts)] + ("" if s < len(districts) else str(s // len(districts) + 1))
            rows.append((f"B{b + 1}{s + 1:02d}", f"{city}{district}支行", bid, "sub_branch"))
    return pd.DataFrame(rows, columns=["branch_id", "branch_name", "parent_id", "level"])


def build_officers(rng: np.random.Generator, profile: Profile, branches: pd.DataFrame,
                   window_start: np.datetime64, window_end: np.datetime64) -> pd.DataFrame:
    """Officers per branch; each has a hidden diligence trait in [0, 1] (sample truth only).

    About a tenth of account managers leave during the history and a successor is
    hired in the same sub-branch just before; everyone else was hired before it.
    """
    recs = []
    for b in branches.itertuples():
        if b.level == "head_office":
            recs += [(b.branch_id, "post_loan_manager")] * 3 + [(b.branch_id, "risk_manager")] * 2 + [(b.branch_id, "branch_head")]
        elif b.level == "branch":
            recs += [(b.branch_id, "branch_head"), (b.branch_id, "risk_manager"), (b.branch_id, "risk_manager"),
                     (b.branch_id, "post_loan_manager"), (b.branch_id, "post_loan_manager")]
            recs += [(b.branch_id, "account_manager")] * max(2, profile.officers_per_sub // 3)   # 管理行客户经理
        else:
            recs += [(b.branch_id, "branch_head")] + [(b.branch_id, "account_manager")] * profile.officers_per_sub
    df = pd.DataFrame(recs, columns=["branch_id", "role"])
    n = len(df)
    span = (window_end - window_start).astype(int)
    hire = window_start - rng.integers(90, 15 * 365, n) * DAY
    df["hire_date"] = hire
    df["leave_date"] = np.datetime64("NaT", "D")
    df["diligence"] = np.round(rng.beta(2.2, 1.6, n), 3)
    # departures among account managers, each replaced by a new hire
    am = np.flatnonzero(df["role"].to_numpy() == "account_manager")
    leavers = rng.choice(am, size=max(1, len(am) // 10), replace=False)
    leave = window_start + rng.integers(60, span - 30, len(leavers)) * DAY
    df.loc[leavers, "leave_date"] = leave
    succ = df.loc[leavers, ["branch_id", "role"]].copy()
    succ["hire_date"] = leave - rng.integers(5, 30, len(leavers)) * DAY
    succ["leave_date"] = np.datetime64("NaT", "D")
    succ["diligence"] = np.round(rng.beta(2.2, 1.6, len(leavers)), 3)
    succ["replaces"] = leavers
    df["replaces"] = -1
    df = pd.concat([df, succ], ignore_index=True)
    df["officer_id"] = [f"E{i + 1:05d}" for i in range(len(df))]
    df["name"] = person_names(rng, len(df))
    df["replaces"] = df["replaces"].astype(int)
    return df
