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
    capsys.readouterr()
    assert main(["sample", "--size", "small", "--seed", "4", "--out", str(out)]) == 2
    said = capsys.readouterr()
    assert "target_exists" in said.err and "生成样本银行" not in said.out      # refused before generating
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


def test_every_subcommand_explains_itself(capsys):
    """`--help` of the program and of every subcommand: a description, every product of the
    registry, every option described, the exit codes."""
    import argparse

    import pytest

    from postloan.cli import _parser
    from postloan.products import PRODUCTS
    parser = _parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for argv in [["--help"]] + [[name, "--help"] for name in sub.choices]:
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 0
        text = capsys.readouterr().out
        assert "退出码" in text and "show this help message" not in text, argv
        if argv[0] in ("--help", "run"):
            assert all(name in text and p.label in text for name, p in PRODUCTS.items()), argv
    for name, p in sub.choices.items():
        assert p.description, name
        for action in p._actions:
            if action.dest in ("workbooks",):          # internal, hidden on purpose
                continue
            assert action.help and action.help != argparse.SUPPRESS, (name, action.option_strings)


def test_the_extract_is_a_mapping(sample_duckdb):
    from data_connectors import load_extract
    e = load_extract(sample_duckdb)
    assert "loans" in e and "nonsense" not in e and len(e) == len(list(e))
    assert dict(e.items())["loans"] is e["loans"] and list(e.keys()) == list(e)
    text = repr(e)
    assert "loans: " in text and f"{len(e['loans']):,}" in text
