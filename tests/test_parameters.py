"""Policy, calendar and workbook parameters: validated on load, errors name the key."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from postloan.paths import parameters_dir
from postloan.policy import ParameterError, load_calendar, load_policy
from postloan.products import PRODUCTS
from postloan.run.params import load_workbook_parameters, notebook_parameter_names

ROOT = Path(__file__).resolve().parents[1]


def test_policy_loads_with_unique_stable_ids():
    policy = load_policy()
    ids = policy.policy_ids()
    assert len(ids) >= 15
    raw = (parameters_dir() / "policy.yaml").read_text(encoding="utf-8")
    assert raw.count("id: ") == len(ids)                  # no id used twice


def test_policy_unknown_key_and_bad_value_are_named(tmp_path):
    data = yaml.safe_load((parameters_dir() / "policy.yaml").read_text(encoding="utf-8"))
    data["warning"]["report_working_days"]["purple"] = 2
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ParameterError, match=r"warning\.report_working_days\.purple.*unknown_key"):
        load_policy(path)
    data["warning"]["report_working_days"].pop("purple")
    data["inspection"]["first"]["days"]["corporate"] = "fifteen"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ParameterError, match=r"inspection\.first\.days\.corporate"):
        load_policy(path)


def test_floors_follow_the_policy_file(tmp_path):
    from postloan.rules.classification import dpd_floor_rank
    rules = load_policy().classification
    assert list(dpd_floor_rank([0, 1, 90, 91, 270, 271, 360, 361], rules)) == [0, 1, 1, 2, 2, 3, 3, 4]
    # a bank that excepts technical overdue of up to 3 days: dpd 1..3 stays normal
    data = yaml.safe_load((parameters_dir() / "policy.yaml").read_text(encoding="utf-8"))
    data["classification"]["technical_overdue_days"]["days"] = 3
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    rules = load_policy(path).classification
    assert list(dpd_floor_rank([0, 3, 4, 91], rules)) == [0, 0, 1, 2]


def test_working_days_follow_holidays_and_adjusted_weekends():
    cal = load_calendar()
    add = lambda d, n: str(cal.add_working_days([dt.date.fromisoformat(d)], n)[0])
    assert add("2025-09-26", 1) == "2025-09-28"       # Friday -> the 调休 Sunday
    assert add("2025-09-30", 1) == "2025-10-09"       # National Day 10-01..10-08
    assert add("2025-10-09", 2) == "2025-10-11"       # the 调休 Saturday counts
    assert add("2025-10-10", 1) == "2025-10-11"
    assert add("2025-10-13", 5) == "2025-10-20"       # an ordinary week


def test_every_parameters_file_matches_its_workbook():
    for name, product in PRODUCTS.items():
        nb = ROOT / "workbooks" / product.workbook
        params = load_workbook_parameters(product, nb)
        cell = notebook_parameter_names(nb)
        assert set(params) <= cell
        assert {"scope", "run_dir"} <= cell and ({"month", "period"} & cell)
        assert set(product.params_model.model_fields) == cell   # the model and the cell list the same names


def test_each_model_default_is_the_workbook_s_own():
    """A dashboard shows a run's view with the model's defaults for what the parameter file
    left out (run_settings): they must be the values the workbook's parameters cell runs with."""
    import ast

    import papermill
    for name, product in PRODUCTS.items():
        cell = papermill.inspect_notebook(str(ROOT / "workbooks" / product.workbook))
        for key, field in product.params_model.model_fields.items():
            if not field.is_required():
                assert ast.literal_eval(cell[key]["default"]) == field.default, (name, key)
