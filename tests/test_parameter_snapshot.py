"""A run renders from its own parameters: every file snapshotted and hashed in the manifest,
all validated before the extract is read; the calendar covers the run's years and agrees
with the State Council's notices (as the `chinesecalendar` package records them)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml

from postloan.cli import main
from postloan.paths import parameters_dir


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def own_params_run(tmp_path_factory, sample_duckdb):
    work = tmp_path_factory.mktemp("snap")
    params = work / "params"
    shutil.copytree(parameters_dir(), params)
    out = work / "out"
    assert main(["run", "--source", str(sample_duckdb), "--out", str(out), "--parameters-dir", str(params),
                 "--products", "meeting_pack,scorecards", "--scopes", "all", "--no-pdf"]) == 0
    return params, next(out.glob("*/run-*"))


def test_the_manifest_lists_every_parameter_file_with_its_hash(own_params_run):
    params, run = own_params_run
    m = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    files = {f["name"]: f for f in m["parameter_files"]}
    assert set(files) == {"policy", "calendar", "scorecard_policy", "accountability_policy", "workout_policy",
                          "workbook:meeting_pack", "workbook:scorecards"}
    for f in files.values():
        assert f["sha256"] == _sha(run / f["file"]) == _sha(Path(f["source"]))
        assert Path(f["source"]).parent == params
    assert m["python"] and m["packages"]["pandas"] and m["packages"]["duckdb"]


def _inspections_html(run) -> str:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output
    InteractiveShell.instance()                 # display() publishes to a shell, as in a kernel
    from postloan.parameter_set import _run_policy
    from postloan.present import meeting_pack as mp
    _run_policy.cache_clear()
    with capture_output() as cap:
        pack = mp.load_pack(run, "all")
        mp.show_inspections(pack)
        mp.show_credit_recovery(pack)
        mp.show_collection(pack)
    return "".join(o.data.get("text/html", "") for o in cap.outputs)


def test_pages_of_an_old_run_do_not_change_when_the_policy_file_does(own_params_run, monkeypatch):
    params, run = own_params_run
    before = _inspections_html(run)
    policy = yaml.safe_load((params / "policy.yaml").read_text(encoding="utf-8"))
    old = policy["inspection"]["quality_lookback_months"]
    policy["inspection"]["quality_lookback_months"] = old + 7
    policy["maturities"]["horizons_days"] = [15, 45]
    live = params.parent / "live"
    shutil.copytree(params, live)
    (live / "policy.yaml").write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("POSTLOAN_PARAMETERS_DIR", str(live))    # today's files changed
    after = _inspections_html(run)
    assert f"近 {old} 个月" in before and after == before


def test_every_parameter_file_is_validated_before_the_extract_is_read(tmp_path, capsys):
    params = tmp_path / "params"
    shutil.copytree(parameters_dir(), params)
    (params / "accountability_policy.yaml").write_text("nonsense: 1\n", encoding="utf-8")
    code = main(["run", "--source", str(tmp_path / "no-such-extract.duckdb"), "--out", str(tmp_path / "out"),
                 "--parameters-dir", str(params), "--no-pdf"])
    err = capsys.readouterr().err
    assert code == 1 and "accountability_policy.yaml" in err and "no-such-extract" not in err


def test_a_run_outside_the_calendar_years_stops(tmp_path, sample_duckdb, capsys):
    params = tmp_path / "params"
    shutil.copytree(parameters_dir(), params)
    cal = yaml.safe_load((params / "calendar.yaml").read_text(encoding="utf-8"))
    last = max(cal["years"])
    cal["years"] = [y for y in cal["years"] if y != last]
    cal["holidays"] = [h for h in cal["holidays"] if h[0].year != last]
    cal["adjusted_working_days"] = [d for d in cal["adjusted_working_days"] if d.year != last]
    (params / "calendar.yaml").write_text(yaml.safe_dump(cal), encoding="utf-8")
    code = main(["run", "--source", str(sample_duckdb), "--out", str(tmp_path / "out"), "--parameters-dir", str(params),
                 "--month", f"{last}-10", "--products", "meeting_pack", "--no-pdf"])
    err = capsys.readouterr().err
    assert code == 1 and "calendar_not_covered" in err and str(last) in err
    assert not (tmp_path / "out").exists()


def test_the_calendar_agrees_with_chinesecalendar_day_by_day():
    chinese_calendar = pytest.importorskip("chinese_calendar")
    from postloan.policy import load_calendar
    cal = load_calendar(parameters_dir() / "calendar.yaml")
    ours = set(cal._days.astype("datetime64[D]").astype(object))
    for year in cal.years:
        day = dt.date(year, 1, 1)
        while day.year == year:
            assert (day in ours) == chinese_calendar.is_workday(day), day
            day += dt.timedelta(days=1)


def test_recovery_targets_are_an_optional_checked_and_snapshotted_table(tmp_path):
    from postloan.parameter_set import load_parameter_set
    from postloan.policy import ParameterError
    params = tmp_path / "params"
    shutil.copytree(parameters_dir(), params)
    assert load_parameter_set(params).recovery_targets == {}                 # absent: the flat default
    (params / "recovery_targets.csv").write_text("officer_id,target_yuan_per_month\nE00001,35000\nE00002,12000.5\n",
                                                 encoding="utf-8")
    ps = load_parameter_set(params)
    assert ps.recovery_targets == {"E00001": 35000.0, "E00002": 12000.5}
    snap = {f["name"]: f for f in ps.snapshot(tmp_path / "run" / "parameters")}
    assert snap["recovery_targets"]["sha256"] == _sha(params / "recovery_targets.csv")
    (params / "recovery_targets.csv").write_text("officer_id,target_yuan_per_month\nE00001,-5\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"recovery_targets\.csv 第 2 行"):
        load_parameter_set(params)
