"""The run manifest and the fingerprint of the input extract."""
from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pandas as pd

from postloan.contract import TABLES


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def extract_fingerprint(tables: dict[str, pd.DataFrame]) -> str:
    """sha256 over the validated tables, rows in key order: the same data gives the
    same fingerprint whichever carrier it came from."""
    h = hashlib.sha256()
    for name, spec in TABLES.items():
        if name not in tables:          # an optional table the extract does not provide
            continue
        frame = tables[name].sort_values(list(spec.key), kind="mergesort").reset_index(drop=True)
        h.update(name.encode())
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


KEY_PACKAGES = ("pandas", "numpy", "pyarrow", "duckdb", "sqlalchemy", "pydantic", "papermill", "nbconvert",
                "matplotlib", "xlsxwriter", "openpyxl", "voila", "ipywidgets", "playwright")


def package_versions() -> dict[str, str]:
    """The versions of the packages a figure or a page depends on."""
    from importlib.metadata import PackageNotFoundError, version
    out = {}
    for name in KEY_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def code_version() -> str:
    from importlib.metadata import version
    v = version("postloan")
    root = Path(__file__).resolve().parents[2]
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True, text=True,
                             timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return v
    return f"{v}+g{sha}{'.dirty' if dirty else ''}" if sha else v


def write_manifest(path: Path, manifest: dict) -> None:
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
