"""Report scopes: `all`, a managing branch (分行, with its sub-branches) or one sub-branch.

Every mart row that belongs to a scope carries `operating_branch_id` and
`managing_branch_id`; `in_scope` selects the rows of one scope.
"""
from __future__ import annotations

import pandas as pd

ALL = "all"


def list_scopes(branches: pd.DataFrame, include_sub_branches: bool = False) -> list[str]:
    levels = ["branch", "sub_branch"] if include_sub_branches else ["branch"]
    return [ALL] + branches.loc[branches["level"].isin(levels), "branch_id"].astype(str).tolist()


def in_scope(frame: pd.DataFrame, scope: str) -> pd.Series:
    if scope == ALL:
        return pd.Series(True, index=frame.index)
    return ((frame["operating_branch_id"] == scope) | (frame["managing_branch_id"] == scope)).fillna(False)


def scope_frame(frame: pd.DataFrame, scope: str) -> pd.DataFrame:
    return frame[in_scope(frame, scope).to_numpy(dtype=bool)]


def scope_name(branches: pd.DataFrame, scope: str) -> str:
    if scope == ALL:
        return "全行"
    names = dict(zip(branches["branch_id"], branches["branch_name"]))
    return names.get(scope, scope)
