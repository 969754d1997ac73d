"""The command line: sample never overwrites by accident; validate names bad sources."""
from __future__ import annotations

import hashlib

from postloan.cli import main


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sample_refuses_to_overwrite_and_if_absent_keeps_the_bank(tmp_path, capsys):
    out = tmp_path / "bank.duckdb"
    assert main(["sample", "--size", "small", "--seed", "3", "--out", str(out)]) == 0
    before = _sha(out)
    assert main(["sample", "--size", "small", "--seed", "4", "--out", str(out)]) == 2
    assert "target_exists" in capsys.readouterr().err
    assert _sha(out) == before
    assert main(["sample", "--if-absent", "--seed", "4", "--out", str(out)]) == 0
    assert _sha(out) == before
    assert main(["validate", "--source", str(out)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bank.duckdb"]     # no temporary files left


def test_validate_unknown_source_form(tmp_path, capsys):
    assert main(["validate", "--source", str(tmp_path / "bank.parquet")]) == 2
    assert "unknown_source" in capsys.readouterr().err


def test_validate_missing_duckdb_file(tmp_path, capsys):
    assert main(["validate", "--source", str(tmp_path / "absent.duckdb")]) == 1
    out = capsys.readouterr()
    assert "unreadable_source" in out.out and "absent.duckdb" in out.out
    assert "missing_table" not in out.out
