"""Sizes of the sample bank. A profile only sets scale; behaviour is the same at every size."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    loans: int                 # loans on the book during the history (approximate)
    branches: int              # managing branches (分行/管理行)
    sub_branches: int          # operating sub-branches (支行/经营行) per branch
    officers_per_sub: int      # account managers per sub-branch
    months: int                # months of loan_month history
    end_month: str = "2026-10" # last month-end of the history


PROFILES = {
    "small": Profile(loans=2500, branches=3, sub_branches=3, officers_per_sub=4, months=24),
    "medium": Profile(loans=31000, branches=5, sub_branches=5, officers_per_sub=14, months=24),
    "large": Profile(loans=330000, branches=8, sub_branches=6, officers_per_sub=80, months=36),
}
