"""DuckDB connection settings shared by the reader and the writers."""
from __future__ import annotations

import duckdb


def quiet(con: duckdb.DuckDBPyConnection) -> None:
    """No progress bar on long statements. Inside a Jupyter kernel DuckDB refuses to change
    the setting unless ipywidgets is installed; the default is then kept."""
    try:
        con.execute("SET enable_progress_bar = false")
    except duckdb.Error:
        pass
