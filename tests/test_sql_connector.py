"""The SQL connector against real PostgreSQL and MariaDB servers.

Skips with a reason where no server is reachable; fails instead when
POSTLOAN_REQUIRE_SERVERS is set (as .ci/run does).
"""
from __future__ import annotations

import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

from conftest import MARIADB_URL, PG_URL, require_server
from data_connectors import load_extract
from postloan.sample import writers
from postloan.validation import check_extract
from data_connectors import read_extract
from test_carriers import assert_same_tables

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def from_duckdb(sample_duckdb):
    return load_extract(sample_duckdb)


def _drop(url, schema, prefix, names):
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for n in names:
            sa.Table(prefix + n, sa.MetaData(schema=schema)).drop(conn, checkfirst=True)
    engine.dispose()


@pytest.mark.parametrize("url", [PG_URL, MARIADB_URL], ids=["postgresql", "mariadb"])
def test_database_extract_equals_duckdb(url, sample_tables, from_duckdb):
    require_server(url)
    prefix = f"t{uuid.uuid4().hex[:6]}_"
    try:
        writers.write_sql(sample_tables, url, table_prefix=prefix)
        assert_same_tables(from_duckdb, load_extract(url, table_prefix=prefix))
    finally:
        _drop(url, None, prefix, sample_tables)


def test_postgres_schema_option_and_only_contract_columns_are_read(sample_tables, from_duckdb):
    require_server(PG_URL)
    schema = f"s{uuid.uuid4().hex[:6]}"
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema))
    try:
        writers.write_sql(sample_tables, PG_URL, schema=schema)
        with engine.begin() as conn:   # a column and a table the contract does not know must be ignored
            conn.execute(sa.text(f'ALTER TABLE "{schema}".loans ADD COLUMN secret_note varchar(20)'))
            conn.execute(sa.text(f'CREATE TABLE "{schema}".unrelated (x int)'))
        raw = read_extract(PG_URL, schema=schema)
        assert "secret_note" not in raw.tables["loans"].frame.columns
        assert "unrelated" not in raw.tables
        tables, violations = check_extract(raw)
        assert violations == []
        assert_same_tables(from_duckdb, {k: v for k, v in tables.items()})
    finally:
        with engine.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True))
        engine.dispose()


def test_database_with_a_missing_table_reports_it(sample_tables):
    require_server(MARIADB_URL)
    prefix = f"m{uuid.uuid4().hex[:6]}_"
    partial = {k: v for k, v in sample_tables.items() if k != "archives"}
    try:
        writers.write_sql(partial, MARIADB_URL, table_prefix=prefix)
        _, violations = check_extract(read_extract(MARIADB_URL, table_prefix=prefix))
        assert [(v.table, v.rule) for v in violations] == [("archives", "missing_table")]
    finally:
        _drop(MARIADB_URL, None, prefix, sample_tables)


def test_unreachable_database_is_reported_not_raised():
    raw = read_extract("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert raw.problems and raw.problems[0].rule == "unreadable_source"
    assert "127.0.0.1" in raw.problems[0].detail


def test_server_check_skips_for_users_and_fails_in_ci(monkeypatch):
    """Without a server: a skip with the reason on a user's machine, a failure in CI."""
    from conftest import require_server
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    monkeypatch.delenv("POSTLOAN_REQUIRE_SERVERS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not reachable"):
        require_server(url)
    monkeypatch.setenv("POSTLOAN_REQUIRE_SERVERS", "1")
    with pytest.raises(pytest.fail.Exception, match="fails instead of skipping"):
        require_server(url)
