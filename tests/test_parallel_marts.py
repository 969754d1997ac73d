"""The marts built on two cores (postloan.run.parallel_marts) are the marts built in one process,
table by table; a task that fails in the forked child fails the build with its own message."""
from __future__ import annotations

import dataclasses
import os
import time

import pandas as pd
import pytest

from postloan.parameter_set import load_parameter_set
from postloan.periods import parse_period
from postloan.run import parallel_marts

PRODUCTS = ["meeting_pack", "scorecards", "accountability", "workout"]


def _extract(path):
    from data_connectors import load_extract
    return load_extract(str(path))


def test_two_processes_build_exactly_the_marts_of_one(sample_duckdb):
    params = load_parameter_set(None, None, None)
    serial_extract, forked_extract = _extract(sample_duckdb), _extract(sample_duckdb)
    period = parse_period(serial_extract.months()[-1])
    spent_1, spent_2 = {}, {}
    one = parallel_marts.build_all(PRODUCTS, serial_extract, period, params, spent_1, workers=1)
    two = parallel_marts.build_all(PRODUCTS, forked_extract, period, params, spent_2, workers=2)
    assert list(one) == list(two) == PRODUCTS
    for name in PRODUCTS:
        assert sorted(one[name].tables) == sorted(two[name].tables), name
        for table in one[name].tables:
            pd.testing.assert_frame_equal(one[name][table], two[name][table], check_exact=True, obj=f"{name}.{table}")
    # the trend periods' reviews were prefetched (by either process), not rebuilt inside the scorecards
    reviews = [k for k in forked_extract.memo if isinstance(k, tuple) and k[0] == "accountability_review"]
    assert len(reviews) == params.scorecard.trend_periods, reviews
    assert "marts_prefetch" in spent_2 and "marts_wait" in spent_2


def test_a_task_failing_in_the_child_fails_the_build_and_names_the_error(sample_duckdb, monkeypatch):
    from postloan.products import PRODUCTS as REGISTRY
    parent = os.getpid()

    def task():
        time.sleep(0.3)                  # long enough that the child takes some of the four
        if os.getpid() != parent:
            raise ValueError("押品估值表缺列 (boom_in_child)")

    def prefetch(extract, period, params):
        return {("test", k): task for k in range(4)}
    monkeypatch.setitem(REGISTRY, "scorecards", dataclasses.replace(REGISTRY["scorecards"], prefetch=prefetch))
    extract = _extract(sample_duckdb)
    with pytest.raises(parallel_marts.MartsError, match=r"marts_failed.*ValueError: 押品估值表缺列 \(boom_in_child\)"):
        parallel_marts.build_all(["scorecards"], extract, parse_period(extract.months()[-1]),
                                 load_parameter_set(None, None, None), {}, workers=2)
