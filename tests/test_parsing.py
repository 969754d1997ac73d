"""Column parsers on hand-written values, one case per accepted form and per rejection."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from postloan import parsing as P


def _s(*values):
    return pd.Series(list(values), dtype=object)


def test_dates_in_every_accepted_form_and_bad_ones_flagged():
    out, bad = P.parse_date(_s("2024-03-05", "2024/3/5", "20240305", "2024-03-05 00:00:00",
                               dt.date(2024, 3, 5), dt.datetime(2024, 3, 5), "", None, "2024-02-30", "5 March"))
    assert list(out[:6]) == [pd.Timestamp("2024-03-05")] * 6
    assert out[6:].isna().all()
    assert bad.tolist() == [False] * 8 + [True, True]


def test_datetimes_keep_the_time():
    out, bad = P.parse_datetime(_s("2025-06-01 22:15:00", "2025-06-01T07:59", "2025-06-01 25:00:00"))
    assert out[0] == pd.Timestamp("2025-06-01 22:15:00") and out[1] == pd.Timestamp("2025-06-01 07:59:00")
    assert bad.tolist() == [False, False, True]


def test_months_from_text_and_from_excel_first_of_month_dates():
    out, bad = P.parse_month(_s("2025-03", "2025/3", "202503", dt.datetime(2025, 3, 1), "2025-13", "March"))
    assert list(out[:4]) == ["2025-03"] * 4
    assert bad.tolist() == [False, False, False, False, True, True]


def test_decimals_accept_thousands_separators_and_reject_text():
    out, bad = P.parse_decimal(_s("1,234,567.89", "0.0435", "-5", "", "12a", "inf"))
    assert out[0] == 1234567.89 and out[1] == 0.0435 and out[2] == -5
    assert np.isnan(out[3])
    assert bad.tolist() == [False, False, False, False, True, True]


def test_ints_reject_fractions():
    out, bad = P.parse_int(_s("30", "30.0", "30.5", "x"))
    assert out[0] == 30 and out[1] == 30
    assert bad.tolist() == [False, False, True, True]


def test_booleans_in_english_digits_and_chinese():
    out, bad = P.parse_bool(_s("true", "FALSE", "1", "0", "是", "否", True, "maybe"))
    assert out[:7].tolist() == [True, False, True, False, True, False, True]
    assert bad.tolist() == [False] * 7 + [True]


def test_enums_accept_code_and_label_and_flag_unknown():
    out, bad = P.parse_enum(_s("normal", "关注", " 次级 ", "很好", None), "classification")
    assert out[:3].tolist() == ["normal", "special_mention", "substandard"]
    assert bad.tolist() == [False, False, False, True, False]


def test_text_ids_from_numeric_carriers_lose_the_float_suffix():
    out, _ = P.parse_text(pd.Series([1001.0, 2.5, np.nan]))
    assert out[0] == "1001" and out[1] == "2.5" and pd.isna(out[2])


def test_parsers_do_not_mutate_their_input():
    raw = _s(" 2024-03-05 ", "x")
    before = raw.copy()
    P.parse_date(raw)
    pd.testing.assert_series_equal(raw, before)


def test_validation_does_not_mutate_the_connectors_frames(sample_csv):
    from data_connectors import read_extract
    from postloan.validation import check_extract
    raw = read_extract(str(sample_csv))
    raw.tables["loans"].frame.columns = [c.upper() for c in raw.tables["loans"].frame.columns]
    before = raw.tables["loans"].frame.copy()
    tables, violations = check_extract(raw)
    assert violations == []                                   # headers match case-insensitively
    pd.testing.assert_frame_equal(raw.tables["loans"].frame, before)


def test_an_enum_is_looked_up_as_pandas_map_would_whatever_its_carrier():
    """parse_enum's Arrow lookup gives what Series.map gives: codes for known spellings, NA for
    unknown, blank and missing values, in a text column or one that arrived as numbers."""
    import pandas as pd
    from postloan.glossary import enum_input_map
    from postloan.parsing import STRING, _lookup, parse_enum
    mapping = enum_input_map("loan_status")
    spellings = list(mapping)[:3]
    text = pd.Series(spellings + [None, "没有这个状态", spellings[0]], dtype=STRING)
    assert _lookup(text, mapping).tolist() == text.map(mapping).astype(STRING).tolist()
    out, bad = parse_enum(pd.Series([f" {spellings[1]} ", "", None, "x"], dtype=object), "loan_status")
    assert out.tolist()[0] == mapping[spellings[1]] and out.isna().tolist()[1:] == [True, True, True]
    assert bad.tolist() == [False, False, False, True]


def test_canonical_months_pass_as_they_are_and_others_are_rewritten():
    import pandas as pd
    from postloan.parsing import STRING, parse_month
    out, bad = parse_month(pd.Series(["2026-01", None, "2026-12"], dtype=STRING))
    assert out.tolist() == ["2026-01", pd.NA, "2026-12"] and not bad.any()
    out, bad = parse_month(pd.Series(["2026-01", "2026/3", "202604", "2026-13"], dtype=STRING))
    assert out.tolist()[:3] == ["2026-01", "2026-03", "2026-04"] and bad.tolist() == [False, False, False, True]


def test_a_clean_text_column_is_read_without_a_copy_and_a_dirty_one_is_cleaned():
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    from postloan.parsing import STRING, _as_text
    clean = pd.Series(pd.array(["L1", None, "L2"], dtype=pd.StringDtype("pyarrow", na_value=np.nan)))
    out = _as_text(clean)
    assert out.dtype == STRING and out.tolist() == ["L1", pd.NA, "L2"]
    data = [pa.array(s, from_pandas=True) for s in (clean, out)]
    data = [a.chunk(0) if isinstance(a, pa.ChunkedArray) else a for a in data]
    assert data[0].buffers()[2].address == data[1].buffers()[2].address       # the same characters in memory
    dirty = pd.Series(pd.array([" L1 ", "", "L2"], dtype=pd.StringDtype("pyarrow", na_value=np.nan)))
    assert _as_text(dirty).tolist() == ["L1", pd.NA, "L2"]
