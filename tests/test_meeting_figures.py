"""The published figures JSON against the definitions of METRICS.md, recomputed here in
plain SQL (DuckDB over the extract file), for the whole bank and for one branch."""
from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

SCOPE_LOANS = """
    SELECT l.loan_id FROM loans l JOIN customers c USING (customer_id)
    JOIN branches b ON b.branch_id = c.operating_branch_id
    WHERE $scope = 'all' OR b.branch_id = $scope OR b.parent_id = $scope
"""

PORTFOLIO = f"""
WITH m AS (SELECT lm.*, l.customer_id FROM loan_month lm JOIN loans l USING (loan_id)
           WHERE month = $month AND status = 'active' AND loan_id IN ({SCOPE_LOANS}))
SELECT sum(balance) AS total_balance, count(*) AS loan_count, count(DISTINCT customer_id) AS customer_count,
       sum(balance) FILTER (WHERE classification = 'normal') AS balance_normal,
       sum(balance) FILTER (WHERE classification = 'special_mention') AS balance_special_mention,
       sum(balance) FILTER (WHERE classification = 'substandard') AS balance_substandard,
       sum(balance) FILTER (WHERE classification = 'doubtful') AS balance_doubtful,
       sum(balance) FILTER (WHERE classification = 'loss') AS balance_loss,
       sum(balance) FILTER (WHERE classification IN ('substandard', 'doubtful', 'loss')) AS npl_balance,
       sum(balance) FILTER (WHERE dpd > 0) AS overdue_balance,
       sum(balance) FILTER (WHERE dpd BETWEEN 1 AND 30) AS dpd_1_30_balance,
       sum(balance) FILTER (WHERE dpd BETWEEN 31 AND 60) AS dpd_31_60_balance,
       sum(balance) FILTER (WHERE dpd BETWEEN 61 AND 90) AS dpd_61_90_balance,
       sum(balance) FILTER (WHERE dpd > 90) AS dpd_over_90_balance,
       sum(provision) AS provision_sum
FROM m
"""

# the 2023 classification rules written out independently: dpd floors, the 10 % debtor rule
# for corporate customers, restructured loans within 12 months of the month-end
RANK = """CASE {c} WHEN 'normal' THEN 0 WHEN 'special_mention' THEN 1 WHEN 'substandard' THEN 2
                   WHEN 'doubtful' THEN 3 WHEN 'loss' THEN 4 END"""
FLOORS = f"""
WITH m AS (SELECT lm.*, l.customer_id, c.customer_type, l.is_restructured, l.restructure_date,
                  {RANK.format(c="lm.classification")} AS rk,
                  CASE WHEN dpd > 360 THEN 4 WHEN dpd > 270 THEN 3 WHEN dpd > 90 THEN 2 WHEN dpd > 0 THEN 1 ELSE 0 END AS f_dpd
           FROM loan_month lm JOIN loans l USING (loan_id) JOIN customers c USING (customer_id)
           WHERE month = $month AND status = 'active'),
     debtor AS (SELECT customer_id, sum(balance) FILTER (WHERE greatest(rk, f_dpd) >= 2) / sum(balance) AS share
                FROM m GROUP BY customer_id),
     f AS (SELECT m.*, coalesce(d.share, 0) AS share,
                  (m.is_restructured AND m.restructure_date > last_day(CAST($month || '-01' AS DATE)) - INTERVAL 12 MONTH
                   AND m.restructure_date <= last_day(CAST($month || '-01' AS DATE))) AS in_obs,
                  {RANK.format(c="prior.classification")} AS prior_rk
           FROM m LEFT JOIN debtor d USING (customer_id)
           LEFT JOIN loan_month prior ON prior.loan_id = m.loan_id
                AND prior.month = strftime(date_trunc('month', m.restructure_date) - INTERVAL 1 DAY, '%Y-%m'))
SELECT count(*) FILTER (WHERE rk < greatest(f_dpd,
                                            CASE WHEN customer_type = 'corporate' AND share > 0.10 THEN 2 ELSE 0 END,
                                            CASE WHEN in_obs THEN greatest(1, coalesce(prior_rk, 0)) ELSE 0 END))
       AS floor_breach_count
FROM f WHERE loan_id IN ({SCOPE_LOANS})
"""

UPGRADES = f"""
WITH p AS (SELECT loan_id FROM loan_month WHERE month = $prev AND status = 'active'
           AND classification IN ('substandard', 'doubtful', 'loss')),
     m AS (SELECT lm.loan_id, l.customer_id FROM loan_month lm JOIN loans l USING (loan_id)
           WHERE month = $month AND status = 'active' AND classification IN ('normal', 'special_mention')
           AND loan_id IN (SELECT loan_id FROM p) AND loan_id IN ({SCOPE_LOANS})),
     clean AS (SELECT loan_id, count(*) AS n FROM loan_month
               WHERE dpd = 0 AND month > strftime(CAST($month || '-01' AS DATE) - INTERVAL 7 MONTH, '%Y-%m')
               AND month <= $month GROUP BY loan_id),
     other AS (SELECT DISTINCT l.customer_id FROM loan_month lm JOIN loans l USING (loan_id)
               WHERE month = $month AND status = 'active' AND classification IN ('substandard', 'doubtful', 'loss'))
SELECT count(*) FILTER (WHERE coalesce(clean.n, 0) < 7 OR m.customer_id IN (SELECT customer_id FROM other))
       AS upgrade_breach_count
FROM m LEFT JOIN clean USING (loan_id)
"""

MIGRATION = f"""
WITH p AS (SELECT loan_id, balance AS bp, classification AS cp FROM loan_month
           WHERE month = $prev AND status = 'active' AND loan_id IN ({SCOPE_LOANS})),
     m AS (SELECT loan_id, balance AS bm, classification AS cm FROM loan_month
           WHERE month = $month AND status = 'active'),
     j AS (SELECT p.*, coalesce(m.bm, 0) AS bm, m.cm,
                  CASE p.cp WHEN 'normal' THEN 0 WHEN 'special_mention' THEN 1 WHEN 'substandard' THEN 2
                            WHEN 'doubtful' THEN 3 ELSE 4 END AS rp,
                  CASE m.cm WHEN 'normal' THEN 0 WHEN 'special_mention' THEN 1 WHEN 'substandard' THEN 2
                            WHEN 'doubtful' THEN 3 WHEN 'loss' THEN 4 END AS rm
           FROM p LEFT JOIN m USING (loan_id))
SELECT cp, sum(bp) AS b, sum(greatest(0, bp - bm)) AS r,
       sum(bm) FILTER (WHERE rm > rp) AS d_any, sum(bm) FILTER (WHERE rm >= 2) AS d_npl,
       sum(bm) FILTER (WHERE rm >= 3) AS d_doubtful_plus, sum(bm) FILTER (WHERE rm = 4) AS d_loss
FROM j GROUP BY cp
"""


def _figures(run, scope):
    return json.loads((run / "meeting_pack" / f"{scope}.json").read_text(encoding="utf-8"))


def _num(v) -> float:
    return 0.0 if v is None or v != v else float(v)      # SQL sum over no rows is NULL


def _fen(a, b):
    assert abs(_num(a) - _num(b)) < 0.005, (a, b)


def _ratio(a, b):
    if b is None:
        assert a is None
    else:
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("scope", ["all", "B200"])
def test_asset_quality_dpd_deviation_equal_plain_sql(published_run, sample_duckdb, scope):
    f = _figures(published_run, scope)
    con = duckdb.connect(str(sample_duckdb), read_only=True)
    row = con.execute(PORTFOLIO, {"month": f["month"], "scope": scope}).fetchdf().iloc[0].to_dict()
    row["floor_breach_count"] = con.execute(FLOORS, {"month": f["month"], "scope": scope}).fetchone()[0]
    prev = str(pd.Period(f["month"], "M") - 1)
    row["upgrade_breach_count"] = con.execute(UPGRADES, {"month": f["month"], "prev": prev, "scope": scope}).fetchone()[0]
    con.close()
    for key in ["total_balance", "balance_normal", "balance_special_mention", "balance_substandard",
                "balance_doubtful", "balance_loss", "npl_balance", "overdue_balance", "dpd_1_30_balance",
                "dpd_31_60_balance", "dpd_61_90_balance", "dpd_over_90_balance"]:
        _fen(f[key], _num(row[key]))
    assert f["loan_count"] == row["loan_count"] and f["customer_count"] == row["customer_count"]
    assert f["floor_breach_count"] == row["floor_breach_count"]
    assert f["upgrade_breach_count"] == row["upgrade_breach_count"]
    npl, total = _num(row["npl_balance"]), float(row["total_balance"])
    _ratio(f["npl_ratio"], npl / total)
    _ratio(f["special_mention_ratio"], _num(row["balance_special_mention"]) / total)
    _ratio(f["deviation_ratio"], _num(row["dpd_over_90_balance"]) / npl if npl else None)
    _ratio(f["provision_coverage"], float(row["provision_sum"]) / npl if npl else None)
    assert f["total_balance"] > 0 and f["npl_balance"] > 0


@pytest.mark.parametrize("scope", ["all", "B200"])
def test_migration_rates_equal_plain_sql(published_run, sample_duckdb, scope):
    f = _figures(published_run, scope)
    prev = f"{int(f['month'][:4]) - (f['month'][5:] == '01')}-{(int(f['month'][5:]) - 2) % 12 + 1:02d}"
    con = duckdb.connect(str(sample_duckdb), read_only=True)
    rows = con.execute(MIGRATION, {"month": f["month"], "prev": prev, "scope": scope}).fetchdf()
    con.close()
    g = {r.cp: r for r in rows.itertuples()}
    z = lambda v: 0.0 if v is None or v != v else float(v)

    def rate(cls, attr):
        r = g.get(cls)
        if r is None or z(r.b) - z(r.r) == 0:
            return None
        return z(getattr(r, attr)) / (z(r.b) - z(r.r))
    _ratio(f["migration_rate_normal"], rate("normal", "d_any"))
    _ratio(f["migration_rate_special_mention"], rate("special_mention", "d_npl"))
    _ratio(f["migration_rate_substandard"], rate("substandard", "d_doubtful_plus"))
    _ratio(f["migration_rate_doubtful"], rate("doubtful", "d_loss"))
    n, sm = g.get("normal"), g.get("special_mention")
    den = z(n.b) - z(n.r) + z(sm.b) - z(sm.r)
    _ratio(f["migration_rate_performing"], (z(n.d_npl) + z(sm.d_npl)) / den)
    _fen(f["new_npl_balance"], z(n.d_npl) + z(sm.d_npl))
