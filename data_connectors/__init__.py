"""Data connectors: read a bank extract from where it lives, validated against the contract.

    from data_connectors import load_extract
    extract = load_extract("data/sample_bank.duckdb")      # or a CSV folder, .xlsx, SQL URL

Every connector yields the same canonical tables; `load_extract` raises
`postloan.violations.ExtractInvalid` listing every violation when the extract
breaks the contract.
"""
from __future__ import annotations

from data_connectors import csv_folder, duckdb_file, excel_workbook, sql_database
from data_connectors.registry import SourceError, connector_for, connectors, read_extract, register, shown_source
from postloan.validation import Extract, validate_extract

register(sql_database)
register(duckdb_file)
register(excel_workbook)
register(csv_folder)


def load_extract(source: str, **options) -> Extract:
    """Read `source` with the connector its form calls for, then validate it."""
    return validate_extract(read_extract(str(source), **options))


__all__ = ["load_extract", "read_extract", "register", "connectors", "connector_for", "SourceError", "shown_source"]
