"""The rows of a DataFrame as plain tuples, read column by column.

`itertuples` builds a namedtuple class and indexes every column on each call: on the many small
frames of a page or a figure (an officer's indicators, 4,000 officers) that costs more than the
work itself. `row_values(frame, columns)` yields the same values (each column iterated as itertuples
iterates it) without either.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd


def row_values(frame: pd.DataFrame, columns: list[str]) -> Iterator[tuple]:
    return zip(*(list(frame[c]) for c in columns))


def group_positions(frame: pd.DataFrame, key: str) -> dict:
    """{value of `key`: the positions of its rows in `frame`, in the frame's order} (rows without
    a value in no group): a group's values are then taken from column lists, without a frame per
    group."""
    return frame.reset_index(drop=True).groupby(key, sort=False, observed=True).indices if len(frame) else {}


def sort_order(positions: np.ndarray, keys: np.ndarray, ascending: bool = True) -> np.ndarray:
    """`positions` (rows of a frame) ordered by `keys` (a datetime64 or float array over the frame)
    exactly as `DataFrame.sort_values(key, ascending=…)` orders a frame of those rows (pandas'
    nargsort): numpy's quicksort of the present keys, which is not stable beyond 16 rows (so a
    stable sort would reorder ties), reversed before and after when descending; then the
    missing ones in their order."""
    d = keys[positions]
    missing = pd.isna(d)
    present, values = positions[~missing], d[~missing]
    if not ascending:
        present, values = present[::-1], values[::-1]
    order = present[values.argsort(kind="quicksort")]
    if not ascending:
        order = order[::-1]
    return np.concatenate([order, positions[missing]])
