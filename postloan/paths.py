"""Where the suite finds its parameters, its sample bank and its outputs.

Each has a default inside the checkout and an environment variable that moves it, so that
a test session, a scheduled run or a dashboard server can work elsewhere without touching
the files a bank edits (`parameters/`) or has published (`outputs/`)."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARAMETERS_ENV, OUTPUTS_ENV, SAMPLE_ENV = "POSTLOAN_PARAMETERS_DIR", "POSTLOAN_OUTPUTS", "POSTLOAN_SAMPLE"


def parameters_dir() -> Path:
    return Path(os.environ.get(PARAMETERS_ENV) or ROOT / "parameters")


def outputs_dir() -> Path:
    return Path(os.environ.get(OUTPUTS_ENV) or ROOT / "outputs")


def sample_path() -> Path:
    return Path(os.environ.get(SAMPLE_ENV) or ROOT / "data" / "sample_bank.duckdb")
