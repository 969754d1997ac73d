"""Marts: the month's computations, once, at stated grains, frozen as Parquet.

`build_marts(extract, month, policy, calendar)` returns a `Marts` holding every
table the products present; `figures_for_scope(marts, scope)` reduces them to the
figures of METRICS.md for one scope. Notebooks only read these.
"""
