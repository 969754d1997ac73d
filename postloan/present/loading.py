"""The frozen marts of a published run, loaded once per process, and the scope check
every presenter applies before showing anything."""
from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import pandas as pd

from postloan.marts.build import Marts, load_marts
from postloan.marts.scope import list_scopes


class ScopeError(ValueError):
    pass


_MARTS: "OrderedDict[tuple[str, str], Marts]" = OrderedDict()    # most recently used last
KEEP = 8


def _cached(run_dir: str, product: str) -> Marts:
    key = (run_dir, product)
    marts = _MARTS.pop(key, None)
    if marts is None:
        marts = load_marts(Path(run_dir) / "marts" / product)
    _MARTS[key] = marts
    while len(_MARTS) > KEEP:
        _MARTS.popitem(last=False)
    return marts


def keep_latest(n: int) -> None:
    """Forget all but the `n` marts used last. A run's render kernel calls it between notebooks
    (postloan.run.engine): it renders one product's scopes, then the next product's, and the
    products it has finished need not stay in its memory."""
    while len(_MARTS) > n:
        _MARTS.popitem(last=False)


@lru_cache(maxsize=32)
def _branches(run_dir: str, product: str) -> pd.DataFrame:
    return pd.read_parquet(Path(run_dir) / "marts" / product / "branches.parquet")


def product_branches(run_dir, product: str) -> pd.DataFrame:
    """The branches of a run's product marts, read alone (a selector's scope names need no
    other table)."""
    return _branches(str(Path(run_dir).resolve()), product)


def product_marts(run_dir, product: str, scope: str) -> Marts:
    """The product's marts of the run in `run_dir`; ScopeError if `scope` is not one of its scopes."""
    marts = _cached(str(Path(run_dir).resolve()), product)
    allowed = list_scopes(marts["branches"], include_sub_branches=True)
    if scope not in allowed:
        raise ScopeError(f"未知的报告范围 (unknown_scope)：{scope!r}；可选 {', '.join(allowed)}")
    return marts
