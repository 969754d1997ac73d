"""Every carrier yields the same validated tables, table by table."""
from __future__ import annotations

import pandas as pd
import pytest

from data_connectors import connector_for, load_extract, SourceError
from data_connectors.encoding import detect_encoding
from postloan.contract import TABLES
from postloan.sample import writers


def assert_same_tables(a, b):
    """Equal table by table, rows matched on the primary key, amounts to the fen."""
    a, b = getattr(a, "tables", a), getattr(b, "tables", b)
    assert set(a) == set(b)
    for name in a:
        spec = TABLES[name]
        left = a[name].sort_values(list(spec.key)).reset_index(drop=True)
        right = b[name].sort_values(list(spec.key)).reset_index(drop=True)
        assert len(left) == len(right), name
        pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=0, atol=0.005, obj=name)


@pytest.fixture(scope="module")
def from_duckdb(sample_duckdb):
    return load_extract(sample_duckdb)


def test_duckdb_holds_the_generated_tables(from_duckdb, sample_tables):
    assert set(from_duckdb.tables) == set(sample_tables) & set(TABLES)
    for name in set(sample_tables) & set(TABLES):
        assert len(from_duckdb[name]) == len(sample_tables[name]), name


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_each_encoding_equals_duckdb(tmp_path, sample_tables, from_duckdb, encoding):
    folder = writers.write_csv(sample_tables, tmp_path / encoding, encoding=encoding)
    raw = (folder / "customers.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
    assert_same_tables(from_duckdb, load_extract(folder))


def test_excel_equals_duckdb(tmp_path, sample_tables, from_duckdb):
    path = writers.write_xlsx(sample_tables, tmp_path / "bank.xlsx")
    assert connector_for(str(path)).name == "excel"
    assert_same_tables(from_duckdb, load_extract(path))


def test_chinese_labels_load_like_codes(tmp_path, sample_tables, from_duckdb):
    """A bank that exports display labels (关注, 在账, 抵押 …) instead of codes gets the same tables."""
    from postloan.glossary import enum_labels
    labelled = {}
    for name, frame in sample_tables.items():
        f = frame.copy()
        spec = TABLES.get(name)
        if spec:
            for col in spec.columns:
                if col.type == "enum" and col.name in f.columns:
                    f[col.name] = f[col.name].astype(object).map(lambda v, m=enum_labels(col.enum): m.get(v, v))
        labelled[name] = f
    folder = writers.write_csv(labelled, tmp_path / "labels", encoding="gb18030")
    assert "次级" in (folder / "loan_month.csv").read_text(encoding="gb18030") or \
        "关注" in (folder / "loan_month.csv").read_text(encoding="gb18030")
    assert_same_tables(from_duckdb, load_extract(folder))


def test_a_short_gbk_file_that_is_also_valid_utf8_is_read_as_gbk(tmp_path):
    # "住宅" in GBK is D7A1 D5AC, which UTF-8 would read as Hebrew and Armenian letters
    path = tmp_path / "foreclosed_assets.csv"
    path.write_bytes("asset_id,kind\nFA1,住宅\n".encode("gb18030"))
    assert detect_encoding(path) == "gb18030"
    path.write_bytes("asset_id,kind\nFA1,住宅\n".encode("utf-8"))
    assert detect_encoding(path) == "utf-8-sig"


def test_gbk_text_after_a_long_ascii_head_is_detected(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 2_000_000 + "3,杭州分行\n".encode("gbk"))
    assert detect_encoding(path) == "gb18030"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 2_000_000 + "3,杭州分行\n".encode("utf-8"))
    assert detect_encoding(path) == "utf-8-sig"


def test_unknown_source_form_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="unknown_source"):
        connector_for(str(tmp_path / "nothing.parquet"))


def test_duckdb_rows_fetched_in_pieces_equal_one_fetch(tmp_path, monkeypatch):
    """The DuckDB connector reads each table in pieces (memory); the frame is the very frame of
    one `fetchdf()`, dtypes included, also when a column is null in a whole piece."""
    import duckdb
    from data_connectors import duckdb_file
    monkeypatch.setattr(duckdb_file, "CHUNK_VECTORS", 1)           # pieces of 2,048 rows
    db = tmp_path / "pieces.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("""CREATE TABLE t AS SELECT i, 'x' || i AS s, DATE '2024-01-01' + (i % 300)::INT AS d,
                       CASE WHEN i >= 4096 THEN i * 1.25 END AS a, CASE WHEN i < 2048 THEN NULL ELSE 'y' END AS late,
                       i % 2 = 0 AS b, TIMESTAMP '2024-01-01 08:00' + INTERVAL (i) MINUTE AS ts
                       FROM range(5000) r(i)""")
        sql = "SELECT * FROM t ORDER BY i"
        whole = con.execute(sql).fetchdf()
        pieces = duckdb_file.fetch_frame(con.execute(sql))
        assert len(whole) == 5000
        pd.testing.assert_frame_equal(pieces, whole, check_exact=True)
        empty = duckdb_file.fetch_frame(con.execute("SELECT * FROM t WHERE i < 0"))
        pd.testing.assert_frame_equal(empty, con.execute("SELECT * FROM t WHERE i < 0").fetchdf())
