"""Column parsers: raw values from any carrier -> the canonical dtype of a contract type.

Each parser takes a Series as a connector delivered it (strings from a CSV,
Python dates from Excel or SQL, native types from DuckDB) and returns
(parsed, bad) where `bad` marks values that were present but could not be read.
Canonical dtypes: text/enum/month -> "string", date/datetime -> datetime64[ns],
decimal -> float64, int -> Int64, bool -> "boolean".
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan import contract as C
from postloan.glossary import enum_input_map

STRING = pd.StringDtype()
_TRUE = {"true", "1", "是", "t", "y", "yes", "1.0"}
_FALSE = {"false", "0", "否", "f", "n", "no", "0.0"}


def _as_text(raw: pd.Series) -> pd.Series:
    """Strings with surrounding blanks removed; blank -> NA."""
    if pd.api.types.is_float_dtype(raw.dtype):
        # numbers that arrived as floats (a SQL NUMERIC id, an Excel cell): drop ".0"
        out = raw.map(lambda v: None if pd.isna(v) else (str(int(v)) if float(v).is_integer() else repr(v)))
        return out.astype(STRING)
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype(STRING).str.lower()
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return raw.dt.strftime("%Y-%m-%d %H:%M:%S").astype(STRING)
    s = raw.astype(STRING)
    stripped = s.str.strip()
    blank = (stripped == "").fillna(False).to_numpy(dtype=bool)
    if isinstance(raw.dtype, pd.StringDtype) and not blank.any() and bool((stripped == s).fillna(True).all()):
        return s            # nothing to strip or blank out: the column's own Arrow data, not a copy
    return stripped.mask(blank)


def _present(raw: pd.Series) -> np.ndarray:
    if raw.dtype == object or isinstance(raw.dtype, pd.StringDtype):
        s = raw.astype(STRING).str.strip()
        return (s.notna() & (s != "")).to_numpy(dtype=bool, na_value=False)
    return raw.notna().to_numpy()


def parse_text(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    return _as_text(raw), np.zeros(len(raw), dtype=bool)


def _datetimes_from_text(s: pd.Series, with_time: bool) -> pd.Series:
    s = s.str.replace("/", "-", regex=False).str.replace("T", " ", regex=False)
    compact = s.str.fullmatch(r"\d{8}").fillna(False)
    if compact.any():
        s = s.mask(compact, s.str.slice(0, 4) + "-" + s.str.slice(4, 6) + "-" + s.str.slice(6, 8))
    if not with_time:
        midnight = s.str.fullmatch(r"\d{4}-\d{1,2}-\d{1,2} 00:00(:00)?(\.0+)?").fillna(False)
        s = s.mask(midnight, s.str.split(" ").str[0])
        return pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
    full = pd.to_datetime(s, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    short = pd.to_datetime(s, format="%Y-%m-%d %H:%M", errors="coerce")
    return full.fillna(short)


def _parse_datetime_like(raw: pd.Series, with_time: bool) -> tuple[pd.Series, np.ndarray]:
    present = _present(raw)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        out = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) is not None else raw
        out = out.astype("datetime64[ns]")
    else:
        values = raw.astype(object)
        is_str = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
        if is_str.any():
            out[is_str] = _datetimes_from_text(_as_text(raw[is_str]), with_time).astype("datetime64[ns]")
        other = ~is_str & present
        if other.any():
            out[other] = pd.to_datetime(values[other], errors="coerce").astype("datetime64[ns]")
    if not with_time:
        out = out.dt.normalize()
    bad = present & out.isna().to_numpy()
    return out, bad


def parse_date(raw):
    return _parse_datetime_like(raw, with_time=False)


def parse_datetime(raw):
    return _parse_datetime_like(raw, with_time=True)


def parse_month(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    present = _present(raw)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype) or raw.dtype == object and not raw.map(
            lambda v: isinstance(v, str) or v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))).all():
        # Excel turns "2024-03" into a date on the 1st: accept a first-of-month date as a month
        dates, _ = parse_date(raw)
        text = _as_text(raw)
        text = text.mask(dates.notna() & (dates.dt.day == 1), dates.dt.strftime("%Y-%m"))
    else:
        text = _as_text(raw)
    canonical = text.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])").fillna(False).to_numpy(dtype=bool)
    if (canonical | text.isna().to_numpy()).all():
        # every month already "YYYY-MM" (a database's or our own sample's): the rewrites below
        # would change nothing (the large bank's 5 million month-ends: 2.7 s and 250 MB spared)
        return text.astype(STRING), present & ~canonical
    s = text.str.replace("/", "-", regex=False).str.replace(".", "-", regex=False)
    s = s.str.replace(r"^(\d{4})(\d{2})$", r"\1-\2", regex=True)
    s = s.str.replace(r"^(\d{4})-(\d{1,2})-0?1( 00:00(:00)?)?$", r"\1-\2", regex=True)
    s = s.str.replace(r"^(\d{4})-(\d)$", r"\1-0\2", regex=True)
    ok = s.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])").fillna(False).to_numpy(dtype=bool)
    out = s.where(ok).astype(STRING)
    return out, present & ~ok


def parse_decimal(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    present = _present(raw)
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        out = raw.astype("float64")
    else:
        text = _as_text(raw).str.replace(",", "", regex=False).str.replace("，", "", regex=False)
        out = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = present & (out.isna().to_numpy() | np.isinf(out.to_numpy(na_value=0.0)))
    return out.where(~bad), bad


def parse_int(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    num, bad = parse_decimal(raw)
    arr = num.to_numpy(dtype="float64", na_value=np.nan)
    frac = ~np.isnan(arr) & (np.floor(arr) != arr)
    bad = bad | frac
    arr = np.where(frac, np.nan, arr)
    return pd.Series(arr, index=raw.index).astype("Int64"), bad


def parse_bool(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    present = _present(raw)
    text = _as_text(raw).str.lower()
    out = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    out[text.isin(_TRUE).to_numpy(dtype=bool, na_value=False)] = True
    out[text.isin(_FALSE).to_numpy(dtype=bool, na_value=False)] = False
    bad = present & out.isna().to_numpy()
    return out, bad


def parse_enum(raw: pd.Series, enum: str) -> tuple[pd.Series, np.ndarray]:
    present = _present(raw)
    text = _as_text(raw)
    out = _lookup(text, enum_input_map(enum))
    bad = present & out.isna().to_numpy()
    return out, bad


def _lookup(text: pd.Series, mapping: dict) -> pd.Series:
    """text.map(mapping) as text, in Arrow's C++ (pandas' map turns 5 million values into Python
    strings: 360 MB and a second for one enum column of the large bank's loan_month)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    try:
        values = pa.array(text, from_pandas=True)
        if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
            raise TypeError(values.type)
        keys = pa.array(list(mapping), type=values.type)
        found = pc.take(pa.array([str(v) for v in mapping.values()], type=pa.string()),
                        pc.index_in(values, value_set=keys))
        return pd.Series(pd.array(found, dtype="string[pyarrow]"), index=text.index).astype(STRING)
    except (pa.ArrowException, TypeError, ValueError):
        return text.map(mapping).astype(STRING)


PARSERS = {
    C.TEXT: parse_text,
    C.DATE: parse_date,
    C.DATETIME: parse_datetime,
    C.MONTH: parse_month,
    C.DECIMAL: parse_decimal,
    C.INT: parse_int,
    C.BOOL: parse_bool,
}


def parse_column(raw: pd.Series, column: C.Column) -> tuple[pd.Series, np.ndarray]:
    if column.type == C.ENUM:
        return parse_enum(raw, column.enum)
    return PARSERS[column.type](raw)


def empty_column(column: C.Column, n: int, index=None) -> pd.Series:
    """An all-null column of the canonical dtype (for an optional column left out)."""
    dtype = {C.TEXT: STRING, C.ENUM: STRING, C.MONTH: STRING, C.DATE: "datetime64[ns]",
             C.DATETIME: "datetime64[ns]", C.DECIMAL: "float64", C.INT: "Int64", C.BOOL: "boolean"}[column.type]
    if dtype == "float64":
        data = np.full(n, np.nan)
    elif dtype == "datetime64[ns]":
        data = np.full(n, np.datetime64("NaT", "ns"))      # a NaT without a unit is refused by pandas 3
    else:
        data = pd.array([None] * n, dtype=dtype)
    return pd.Series(data, index=index, dtype=dtype)
