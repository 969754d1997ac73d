"""Connector registry: the form of `--source` picks the connector.

Each connector is a module-level object with `name`, `label` (Chinese),
`accepts(source) -> bool` and `read(source, **options) -> RawExtract`.
New carriers are added with one `register(...)` line in `__init__.py`.
"""
from __future__ import annotations

from postloan.validation import RawExtract

_CONNECTORS: list = []


class SourceError(ValueError):
    """The source cannot be opened at all (not found, unknown form)."""


def register(connector) -> None:
    _CONNECTORS.append(connector)


def connectors() -> list:
    return list(_CONNECTORS)


def connector_for(source: str):
    for connector in _CONNECTORS:
        if connector.accepts(source):
            return connector
    raise SourceError(
        f"无法识别的数据源 (unknown_source)：{source!r}。可用形式：CSV 文件夹、.xlsx 工作簿、"
        f".duckdb 文件，或 SQLAlchemy 数据库 URL（如 postgresql+psycopg://… 、mysql+pymysql://…）。")


def read_extract(source: str, **options) -> RawExtract:
    return connector_for(source).read(source, **options)


def shown_source(source: str) -> str:
    """The source as it may be printed or recorded: a database URL without its password."""
    from data_connectors.sql_database import accepts, redact_url
    return redact_url(source) if accepts(str(source)) else str(source)
