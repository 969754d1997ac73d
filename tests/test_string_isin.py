"""postloan.string_isin: the same answers as pandas' own ArrowStringArray.isin, for every kind of
values a rule passes (a column of ids, an Index, a list, a set, nulls, numbers, nothing)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from postloan import string_isin

HAY = pd.Series(["L1", "L2", None, "L3", "长安", "L1", ""], dtype="string")


@pytest.mark.parametrize("values", [
    pd.Series(["L1", "L3"], dtype="string"), pd.Series(["L3", None], dtype="string"), pd.Index(["长安", "L9"]),
    ["L2", "L2", "L2"], ["L1", None], [None], [np.nan], [], pd.Series([], dtype="string"), {"L1", "L3"},
    np.array(["L2", ""], dtype=object), np.array([1, 2]), ["L1", 1], pd.Categorical(["L3", "L1"]),
    pd.Series(["L1", pd.NA], dtype=object), (x for x in ["L1"]), pd.Series(["L2"], dtype="large_string[pyarrow]"),
], ids=lambda v: type(v).__name__)
def test_the_same_rows_as_pandas_own_isin(values):
    if hasattr(values, "__next__"):                    # a generator is read once: compare on a list of it
        values = list(values)
    ours = string_isin.isin(HAY.array, values)
    theirs = string_isin._PANDAS_ISIN(HAY.array, values)
    assert ours.dtype == theirs.dtype == np.bool_
    assert ours.tolist() == theirs.tolist()


def test_series_isin_goes_through_it_once_installed():
    import postloan.validation  # noqa: F401 (installs it)
    from pandas.arrays import ArrowStringArray
    assert ArrowStringArray.isin is string_isin.isin
    assert HAY.isin(pd.Series(["L1", "长安"], dtype="string")).tolist() == [True, False, False, False, True, True, False]


@pytest.mark.parametrize("values", [pd.Series(["L1"], dtype="string"), pd.Index(["L1", None]), ["L1", None],
                                    np.array(["L1"], dtype=object), pd.Series(["L1"], dtype="large_string[pyarrow]")],
                         ids=lambda v: type(v).__name__)
def test_strings_are_looked_for_in_one_arrow_call(values):
    import pyarrow as pa
    got = string_isin._value_set(values, pa.string())
    assert got is not None and got.type == pa.string() and got.to_pylist()[0] == "L1"
