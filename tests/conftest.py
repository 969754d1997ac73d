"""Shared fixtures: one small sample bank per test session, in several carriers.

The suite does not depend on the machine's state: before anything is imported, the
parameter files are taken from tests/fixtures/parameters/ (not the live parameters/ a bank
edits), and the outputs and the workbooks' sample bank go to a temporary folder (not the
checkout's outputs/ and data/). Notebook kernels started by nbval inherit the same."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="postloan-tests-"))
os.environ["POSTLOAN_PARAMETERS_DIR"] = str(Path(__file__).resolve().parent / "fixtures" / "parameters")
os.environ["POSTLOAN_OUTPUTS"] = str(_SESSION_DIR / "outputs")
os.environ["POSTLOAN_SAMPLE"] = str(_SESSION_DIR / "data" / "sample_bank.duckdb")

import pytest  # noqa: E402

from postloan.sample.generate import generate_sample_bank  # noqa: E402
from postloan.sample import writers  # noqa: E402

SEED = 20261129
PG_URL = os.environ.get("POSTLOAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIADB_URL = os.environ.get("POSTLOAN_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")


def servers_required() -> bool:
    """CI sets POSTLOAN_REQUIRE_SERVERS=1: a missing database server is then a failure, not a skip."""
    return os.environ.get("POSTLOAN_REQUIRE_SERVERS", "") not in ("", "0", "false")


def require_server(url: str) -> None:
    import sqlalchemy as sa
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:   # no server, no driver, refused login
        reason = f"database server not reachable at {url.split('@')[-1]}: {type(exc).__name__}"
        if servers_required():
            pytest.fail(reason + " (POSTLOAN_REQUIRE_SERVERS is set, so this fails instead of skipping)")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def sample_tables():
    """The small sample bank as generated (canonical frames), made once per session."""
    return generate_sample_bank("small", SEED)


@pytest.fixture(scope="session")
def sample_duckdb(tmp_path_factory, sample_tables) -> Path:
    return writers.write_duckdb(sample_tables, tmp_path_factory.mktemp("duckdb") / "bank.duckdb")


@pytest.fixture(scope="session")
def sample_csv(tmp_path_factory, sample_tables) -> Path:
    return writers.write_csv(sample_tables, tmp_path_factory.mktemp("csv") / "utf8")


@pytest.fixture(scope="session")
def published_run(tmp_path_factory, sample_duckdb) -> Path:
    """One full run (all scopes, with PDFs) of the small sample bank's latest month."""
    from postloan.cli import main
    out = tmp_path_factory.mktemp("outputs")
    assert main(["run", "--source", str(sample_duckdb), "--out", str(out)]) == 0
    runs = list(out.glob("*/run-*"))
    assert len(runs) == 1
    return runs[0]


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def session_dir() -> Path:
    """The session's temporary folder (outputs, sample bank, artifacts such as screenshots)."""
    return _SESSION_DIR


@pytest.fixture(autouse=True)
def _close_dashboard_pages(request):
    """After each browser test, leave and close its pages: the dashboard frees their kernels (the
    page's beacon on leaving), so that the shared test server stays under its kernel cap."""
    yield
    if "browser" not in request.fixturenames:
        return
    browser = request.getfixturevalue("browser")
    for context in list(browser.contexts):
        for page in list(context.pages):
            try:
                page.goto("about:blank", timeout=10000)
                page.close()
            except Exception:          # a page the test already closed, or a browser going away
                pass


# Tests that need a published run, a browser, a dashboard or JupyterLab server, or a sample bank
# of the database kind are `slow`; the notebooks' own checks (nbval) too. `pytest -m "not slow"`
# is the fast lane (make test-fast); `make test` runs everything, as CI does.
SLOW_FIXTURES = {"published_run", "browser", "server", "own_server", "lab", "sample_review", "scorecard_run"}
SLOW_MODULES = {"test_hostile.py", "test_run.py", "test_run_safety.py", "test_parameter_snapshot.py",
                "test_jupyterlab.py", "test_dashboards.py", "test_dashboard_server.py"}
SLOW_TESTS = {"test_excel_row_numbers_match_the_sheet", "test_branch_ids_that_validate_accepts_run",
              "test_excel_equals_duckdb", "test_forced_distribution_caps_the_share_of_a_grade",
              "test_diligent_officers_score_higher_than_negligent_ones",
              "test_each_defect_gets_its_own_message_and_nothing_is_written",
              "test_a_duckdb_file_computed_in_place_gives_the_figures_of_the_full_read"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        path = str(item.fspath)
        if (fixtures & SLOW_FIXTURES or item.get_closest_marker("server") or not path.endswith(".py")
                or path.rsplit("/", 1)[-1] in SLOW_MODULES or item.originalname in SLOW_TESTS):
            item.add_marker(pytest.mark.slow)
