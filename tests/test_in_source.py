"""`--compute-in-source`: loan_month checked, summed and narrowed inside the database.

The figures must equal those of the full read, the contract must find the same violations,
and far fewer rows must come back than the source holds (counted here with plain SQL).
"""
from __future__ import annotations

import json
import math
import shutil
import uuid

import duckdb
import pytest

from conftest import MARIADB_URL, PG_URL, require_server
from data_connectors import load_extract, read_extract
from postloan.marts.scope import list_scopes
from postloan.parameter_set import load_parameter_set
from postloan.periods import parse_period
from postloan.products import PRODUCTS
from postloan.run.runner import RunRequest, _reads
from postloan.validation import check_extract


def _in_source(source, products, **options):
    params = load_parameter_set(None, None, None)
    needs = _reads(RunRequest(month=None, source=str(source), products=list(products)), params)
    return load_extract(str(source), compute_in_source=needs, **options), params


def _differences(a, b, path=""):
    """Amounts agree to the fen (the database sums decimals exactly, pandas sums binary floats),
    ratios to 1e-9; everything else exactly."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in _differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [d for k, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{path}[{k}]")]
    if isinstance(a, float) and isinstance(b, float):
        return [] if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) or (math.isnan(a) and math.isnan(b)) \
            else [f"{path}: {a} != {b}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def _same_figures(full, narrowed, params, products):
    period = parse_period(full.months()[-1])
    for name in products:
        product = PRODUCTS[name]
        m_full, m_narrow = product.build(full, period, params), product.build(narrowed, period, params)
        for scope in list_scopes(full["branches"], include_sub_branches=True):
            a = json.loads(json.dumps(product.figures(m_full, scope), default=str))
            b = json.loads(json.dumps(product.figures(m_narrow, scope), default=str))
            assert not _differences(a, b), (name, scope, _differences(a, b)[:5])


def test_a_duckdb_file_computed_in_place_gives_the_figures_of_the_full_read(sample_duckdb):
    # the two products with their own month needs (the trend sums; the trend periods); the
    # accountability review and the workout book are compared on PostgreSQL below
    products = ["meeting_pack", "scorecards"]
    narrowed, params = _in_source(sample_duckdb, products)
    full = load_extract(str(sample_duckdb))
    con = duckdb.connect(str(sample_duckdb), read_only=True)
    total = con.execute("SELECT count(*) FROM loan_month").fetchone()[0]
    months = [r[0] for r in con.execute("SELECT DISTINCT month FROM loan_month ORDER BY 1").fetchall()]
    # the trend sums, by a plain query: active balance by month and class across the bank
    sums = dict(((m, c), float(v)) for m, c, v in con.execute(
        "SELECT month, classification, sum(balance) FROM loan_month WHERE status = 'active' GROUP BY 1, 2").fetchall())
    con.close()
    info = narrowed.in_source
    print(f"\nloan_month rows in the source {total:,}; fetched {info.rows_fetched:,}; trend sums {info.aggregate_rows:,}")
    assert info.rows_in_source == total and len(narrowed["loan_month"]) == info.rows_fetched < total / 2
    assert narrowed.months() == months == full.months()
    by = narrowed.in_source.loan_month_by_branch.groupby(["month", "classification"])["balance"].sum()
    assert by.to_dict() == pytest.approx({k: v for k, v in sums.items() if k[0] in set(by.index.get_level_values(0))})
    _same_figures(full, narrowed, params, products)


def _break(path):
    """A copy of the sample with one row or loan breaking each loan_month rule."""
    con = duckdb.connect(str(path))
    month, = con.execute("SELECT max(month) FROM loan_month").fetchone()
    loan, first = con.execute("SELECT loan_id, min(month) FROM loan_month GROUP BY 1 "
                              "HAVING count(*) > 4 ORDER BY 1 LIMIT 1").fetchone()
    gap, = con.execute("SELECT loan_id FROM loan_month GROUP BY 1 HAVING count(*) > 6 ORDER BY 1 LIMIT 1 OFFSET 3"
                       ).fetchone()
    settled, = con.execute("SELECT loan_id FROM loan_month WHERE status = 'settled' AND month < "
                           "(SELECT max(month) FROM loan_month) ORDER BY 1 LIMIT 1").fetchone()
    con.execute("UPDATE loan_month SET balance = -5 WHERE loan_id = ? AND month = ?", [loan, month])
    con.execute("UPDATE loan_month SET classification = 'mystery' WHERE loan_id = ? AND month = ?", [loan, first])
    con.execute("DELETE FROM loan_month WHERE loan_id = ? AND month = (SELECT month FROM loan_month "
                "WHERE loan_id = ? ORDER BY month LIMIT 1 OFFSET 2)", [gap, gap])
    con.execute("INSERT INTO loan_month SELECT strftime(strptime(month || '-01', '%Y-%m-%d') + INTERVAL 1 MONTH, "
                "'%Y-%m'), loan_id, 0, 0, 0, 0, classification, 'active', provision FROM loan_month "
                "WHERE loan_id = ? AND status = 'settled'", [settled])
    con.execute("INSERT INTO loan_month SELECT month, 'L_NOBODY', balance, overdue_principal, overdue_interest, dpd, "
                "classification, status, provision FROM loan_month WHERE loan_id = ? AND month = ?", [loan, month])
    con.execute("INSERT INTO loan_month SELECT * FROM loan_month WHERE loan_id = ? ORDER BY month LIMIT 1", [loan])
    early, = con.execute("SELECT l.loan_id FROM loans l WHERE strftime(l.disbursement_date, '%Y-%m') > "
                         "(SELECT min(month) FROM loan_month) ORDER BY 1 LIMIT 1").fetchone()
    con.execute("INSERT INTO loan_month SELECT (SELECT min(month) FROM loan_month), loan_id, balance, 0, 0, 0, "
                "'normal', 'active', provision FROM loan_month WHERE loan_id = ? ORDER BY month LIMIT 1", [early])
    con.close()


def test_the_database_finds_the_violations_the_full_read_finds(sample_duckdb, tmp_path):
    broken = tmp_path / "broken.duckdb"
    shutil.copy(sample_duckdb, broken)
    _break(broken)
    _, full = check_extract(read_extract(str(broken)))
    params = load_parameter_set(None, None, None)
    needs = _reads(RunRequest(month=None, source=str(broken), products=["meeting_pack"]), params)
    _, narrowed = check_extract(read_extract(str(broken), compute_in_source=needs))
    shown = lambda vs: sorted({(v.table, v.rule, v.column, v.key, v.value) for v in vs if v.table == "loan_month"})
    rules = {v.rule for v in full if v.table == "loan_month"}
    assert {"negative_amount", "unknown_enum", "loan_month_gap", "loan_month_after_exit", "duplicate_key",
            "missing_reference", "loan_month_before_disbursement"} <= rules, rules
    assert shown(narrowed) == shown(full)


def test_compute_in_source_is_refused_for_files_it_cannot_query(sample_csv, tmp_path, capsys):
    from postloan.cli import main
    assert main(["run", "--source", str(sample_csv), "--out", str(tmp_path), "--no-pdf", "--compute-in-source",
                 "--products", "meeting_pack", "--scopes", "all"]) != 0
    assert "compute_in_source_unsupported" in capsys.readouterr().err
    assert not list(tmp_path.glob("*/run-*"))


def _write_medium(url, prefix):
    from postloan.sample.generate import generate_sample_bank
    from postloan.sample.writers import write_duckdb, write_sql
    tables = generate_sample_bank("medium", 42)
    write_sql(tables, url, table_prefix=prefix)
    return tables, write_duckdb


@pytest.mark.server
def test_postgres_computes_the_medium_bank_in_place(tmp_path):
    """The medium sample in the real PostgreSQL: the figures of the DuckDB route, from far fewer rows."""
    require_server(PG_URL)
    import sqlalchemy as sa
    prefix = f"p{uuid.uuid4().hex[:6]}_"
    products = ["meeting_pack", "accountability", "workout"]
    tables, write_duckdb = _write_medium(PG_URL, prefix)
    try:
        full = load_extract(str(write_duckdb(tables, tmp_path / "medium.duckdb")))
        narrowed, params = _in_source(PG_URL, products, table_prefix=prefix)
        engine = sa.create_engine(PG_URL)
        with engine.connect() as conn:
            total = conn.execute(sa.text(f'SELECT count(*) FROM "{prefix}loan_month"')).scalar_one()
        engine.dispose()
        info = narrowed.in_source
        print(f"\nPostgreSQL loan_month rows {total:,}; rows fetched {info.rows_fetched:,} "
              f"(+ {info.aggregate_rows:,} trend sums)")
        assert info.rows_in_source == total and info.rows_fetched + info.aggregate_rows < total / 4
        _same_figures(full, narrowed, params, products)
    finally:
        _drop(PG_URL, prefix)


@pytest.mark.server
def test_mariadb_computes_in_place_too(sample_tables, sample_duckdb):
    require_server(MARIADB_URL)
    from postloan.sample.writers import write_sql
    prefix = f"m{uuid.uuid4().hex[:6]}_"
    try:
        write_sql(sample_tables, MARIADB_URL, table_prefix=prefix)
        narrowed, params = _in_source(MARIADB_URL, ["meeting_pack"], table_prefix=prefix)
        assert narrowed.in_source.rows_fetched < narrowed.in_source.rows_in_source / 2
        _same_figures(load_extract(str(sample_duckdb)), narrowed, params, ["meeting_pack"])
    finally:
        _drop(MARIADB_URL, prefix)


def _drop(url, prefix):
    import sqlalchemy as sa
    from postloan.contract import TABLES
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for name in TABLES:
            sa.Table(prefix + name, sa.MetaData()).drop(conn, checkfirst=True)
    engine.dispose()
