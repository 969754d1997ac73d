"""The dashboards' allow-list without a browser: what is published (catalog) and how a
query string is checked against it (parse_request)."""
from __future__ import annotations

import json

import pytest

from postloan.dashboards.catalog import catalog
from postloan.dashboards.request import RequestError, parse_request


def _publish(out, period, run_id, products, scopes=("all", "B100"), status="published"):
    folder = out / period / run_id
    folder.mkdir(parents=True)
    outputs = [{"product": p, "scope": s, "kind": "json", "path": f"{p}/{s}.json"} for p in products for s in scopes]
    outputs.append({"product": "marts", "scope": "all", "kind": "parquet", "path": "marts/x.parquet"})
    (folder / "manifest.json").write_text(json.dumps({"month": period, "status": status, "outputs": outputs}),
                                          encoding="utf-8")
    return folder


@pytest.fixture
def published(tmp_path):
    early = _publish(tmp_path, "2026-10", "run-20261101-090000", ["meeting_pack", "scorecards"])
    late = _publish(tmp_path, "2026-10", "run-20261102-090000", ["scorecards"], scopes=("all",))
    _publish(tmp_path, "2026-09", "run-20261001-090000", ["meeting_pack"])
    _publish(tmp_path, "2026-08", "run-20260901-090000", ["meeting_pack"], status="failed")
    (tmp_path / "2026-07" / "run-x").mkdir(parents=True)
    (tmp_path / "2026-07" / "run-x" / "manifest.json").write_text("{not json", encoding="utf-8")
    return tmp_path, early, late


def test_catalog_keeps_the_latest_run_of_each_product_and_ignores_unpublished(published):
    out, early, late = published
    cat = catalog(out)
    assert list(cat) == ["2026-10", "2026-09"]                        # newest first; failed and broken runs left out
    assert cat["2026-10"]["scorecards"] == {"run_dir": str(late), "scopes": ["all"]}
    assert cat["2026-10"]["meeting_pack"] == {"run_dir": str(early), "scopes": ["all", "B100"]}
    assert "marts" not in cat["2026-10"]


def test_a_request_defaults_to_the_latest_period_and_the_whole_bank(published):
    out, early, _ = published
    req = parse_request("token=abc", "meeting_pack", catalog(out))
    assert (req["period"], req["scope"], req["run_dir"]) == ("2026-10", "all", str(early))
    assert req["periods"] == ["2026-10", "2026-09"]
    req = parse_request("period=2026-09&scope=B100", "meeting_pack", catalog(out))
    assert (req["period"], req["scope"]) == ("2026-09", "B100")


@pytest.mark.parametrize("query, code", [
    ("evil=1", "unknown_parameter"),
    ("officer=E00001", "unknown_parameter"),              # not a parameter of the meeting pack
    ("period=2026-08", "invalid_value"),                  # that run failed: not published
    ("period=../../etc/passwd", "invalid_value"),
    ("scope=__import__('os')", "invalid_value"),
    ("scope=B100&scope=B200", "duplicate_parameter"),
])
def test_anything_not_published_is_refused_with_its_code(published, query, code):
    out, _, _ = published
    with pytest.raises(RequestError, match=code):
        parse_request(query, "meeting_pack", catalog(out))


def test_the_scope_must_be_published_in_the_chosen_period(published):
    out, _, _ = published
    with pytest.raises(RequestError, match="invalid_value"):
        parse_request("scope=B100", "scorecards", catalog(out))          # the later scorecard run has `all` only
    assert parse_request("officer=E1", "scorecards", catalog(out))["item"] == "E1"   # checked against the figures later


def test_nothing_published_says_so(tmp_path):
    with pytest.raises(RequestError, match="nothing_published"):
        parse_request("", "accountability", catalog(tmp_path))


def test_the_access_example_validates_and_narrows_the_catalog():
    from postloan.dashboards import access as acl
    from postloan.paths import parameters_dir
    a = acl.load_access(parameters_dir() / "access.example.yaml")
    cat = {"2026-10": {"meeting_pack": {"run_dir": "r", "scopes": ["all", "B100", "B200"]},
                       "scorecards": {"run_dir": "r", "scopes": ["all", "B100", "B200"]},
                       "accountability": {"run_dir": "r", "scopes": ["all", "B100"]},
                       "workout": {"run_dir": "r", "scopes": ["all", "B100"]}}}
    head = acl.find_user(a, "li.na")
    assert acl.visible_catalog(cat, a, head) == {"2026-10": {"meeting_pack": {"run_dir": "r", "scopes": ["B100"]},
                                                             "scorecards": {"run_dir": "r", "scopes": ["B100"]},
                                                             "workout": {"run_dir": "r", "scopes": ["B100"]}}}
    assert set(acl.visible_catalog(cat, a, acl.find_user(a, "wang.fang"))["2026-10"]) == {"scorecards", "accountability"}
    assert set(acl.visible_catalog(cat, a, acl.find_user(a, "liu.yang"))["2026-10"]) == {"accountability", "workout"}
    assert acl.own_item(a, acl.find_user(a, "E00012"), "scorecards") == "E00012"
    assert acl.visible_catalog(cat, a, None) == {} and acl.visible_catalog(cat, None, None) == cat


def test_an_access_file_with_a_role_missing_or_an_officer_without_id_is_refused(tmp_path):
    import pytest as _pytest
    from postloan.dashboards import access as acl
    from postloan.policy import ParameterError
    bad = tmp_path / "access.yaml"
    bad.write_text("roles: {officer: {name: 客户经理, products: [scorecards], own_page_only: true}}\n"
                   "users: [{id: a, name: A, role: officer, token_sha256: " + "a" * 64 + "}]\n", encoding="utf-8")
    with _pytest.raises(ParameterError, match="officer_id"):
        acl.load_access(bad)
    bad.write_text("roles: {}\nusers: [{id: a, name: A, role: boss, token_sha256: " + "a" * 64 + "}]\n", encoding="utf-8")
    with _pytest.raises(ParameterError, match="boss"):
        acl.load_access(bad)
