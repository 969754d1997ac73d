"""Build every mart of a month once; freeze to and load from Parquet; figures per scope."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from postloan.frame_rows import group_positions
from postloan.marts import (collection, comparisons, credit_recovery, disposal, exposures, forbearance, handovers,
                            highlights, inspections,
                            legal, meetings, monitoring, npl_movement, portfolio, records, warnings)
from postloan.marts.context import MonthContext
from postloan.marts.scope import scope_frame
from postloan.policy import Policy, WorkCalendar
from postloan.rules.recovery import CASH_METHODS
from postloan.targets import against_targets as targets_against, targets_frame
from postloan.validation import Extract


@dataclass
class Marts:
    month: str
    tables: dict[str, pd.DataFrame]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def for_scope(self, name: str, scope: str) -> pd.DataFrame:
        return scope_frame(self.tables[name], scope)

    def _lookup(self, kind: str, name: str, arg: str, build):
        """What `build(frame)` makes of mart `name` (for `arg`), made once per marts object and kept
        under `kind` (one of LOOKUPS); made again if the table was replaced in code."""
        cache = self.__dict__.setdefault(kind, {})
        frame = self.tables[name]
        entry = cache.get((name, arg))
        if entry is None or entry[0] is not frame:
            cache[(name, arg)] = entry = (frame, build(frame))
        return entry[1]

    def rows_by(self, name: str, key: str) -> dict:
        """{value of `key`: its rows} of one mart, grouped once per marts object: a run writes
        thousands of case files, and a case's rows are then found without scanning the table.
        `rows_by(...)[None]` is the mart with no rows (for a value that has none)."""
        def groups(frame):
            out = {k: g for k, g in frame.groupby(key, sort=False, observed=True)}
            out[None] = frame.iloc[:0]
            return out
        return self._lookup("_rows_by", name, key, groups)

    def rows_of(self, name: str, key: str, value) -> pd.DataFrame:
        """The rows of one mart whose `key` is `value` (none: an empty frame of its columns)."""
        groups = self.rows_by(name, key)
        return groups.get(value, groups[None])

    def positions_by(self, name: str, key: str) -> dict:
        """{value of `key`: the positions of its rows in the mart, in the mart's order}, once per marts
        object: with `column_list`, a page written thousands of times a run (a case file) takes its
        rows' values without a frame per case and table."""
        return self._lookup("_positions_by", name, key, lambda frame: group_positions(frame, key))

    def column_list(self, name: str, column: str) -> list:
        """One column of a mart as `Series.tolist()` gives it, once per marts object."""
        return self._lookup("_column_lists", name, column, lambda frame: frame[column].tolist())

    LOOKUPS = ("_rows_by", "_positions_by", "_column_lists", "_officer_names", "_figures")

    def drop_lookups(self) -> None:
        """Forget the lookups built from the tables (`rows_by`, `positions_by`, `column_list`,
        `officer_names`, the figures of each scope): a writer that has written a product's files
        drops them. The large bank's workout lookups held 240 MB when they were one small frame
        per case and mart; they are built again if asked."""
        for name in self.LOOKUPS:
            self.__dict__.pop(name, None)

    def officer_names(self) -> dict:
        """{officer_id: (name, leave_date)} of the mart `officers` (the first row of an id), once per marts."""
        cache = self.__dict__.setdefault("_officer_names", {})
        frame = self.tables["officers"]
        if cache.get("frame") is not frame:
            o = frame.drop_duplicates("officer_id")
            leave = o["leave_date"].tolist() if "leave_date" in o else [None] * len(o)
            cache.update(frame=frame, names=dict(zip(o["officer_id"].tolist(), zip(o["name"].tolist(), leave))))
        return cache["names"]


def build_marts(extract: Extract, month: str, policy: Policy, calendar: WorkCalendar, trend_months: int = 12,
                workout_cfg=None, targets=None) -> Marts:
    """`workout_cfg`: with it, section 九 carries the workout book's cases and foreclosed assets
    (the same computation as the workout product, once per run). `targets`: the optional
    parameters/targets.yaml (postloan.targets.Targets), kept as the mart `targets`."""
    ctx = MonthContext(extract, month, policy, calendar)
    t: dict[str, pd.DataFrame] = {}
    t["loan_snapshot"] = snap = portfolio.build_loan_snapshot(ctx)
    t["portfolio_trend"] = portfolio.build_portfolio_trend(ctx, trend_months)
    t["warning_lifecycle"] = warnings.build_warning_lifecycle(ctx)
    t["warning_effectiveness"] = warnings.build_warning_effectiveness(ctx)
    t["inspection_duties"] = inspections.build_inspection_duties(ctx)
    t["inspection_quality"] = inspections.build_inspection_quality(ctx)
    t["inspections_done"] = inspections.build_inspections_done(ctx)
    t["agency_exposure"] = monitoring.build_agency_exposure(ctx, snap)
    t["monitoring_exceptions"] = monitoring.build_monitoring_exceptions(ctx, snap, t["agency_exposure"])
    t["maturities"] = credit_recovery.build_maturities(ctx, snap)
    t["maturity_events"] = credit_recovery.build_maturity_events(ctx, snap)
    t["collection_cases"] = collection.build_collection_cases(ctx, snap)
    t["collection_actions_month"] = collection.build_collection_actions_month(ctx)
    t["promises"] = collection.build_promises(ctx)
    t["collection_timeliness"] = collection.first_action_timeliness(snap, extract["collection_actions"], ctx.end, policy)
    t["forbearance"] = forbearance.build_forbearance(ctx, snap)
    t["legal_deadlines"] = legal.build_legal_deadlines(ctx, snap)
    t["legal_cases_open"] = legal.build_legal_cases(ctx, t["legal_deadlines"])
    t["recoveries_ytd"] = disposal.build_recoveries_ytd(ctx)
    t["archive_defects"] = records.build_archive_defects(ctx)
    t["data_quality"] = records.build_data_quality(ctx, snap)
    t["handovers"] = handovers.build_handovers(ctx)
    t["meeting_actions_status"] = meetings.build_meeting_actions_status(ctx)
    t["proposed_resolutions"] = meetings.build_proposed_resolutions(ctx, t)
    if workout_cfg is not None:
        from postloan.workout.build import build_workout_marts
        wm = build_workout_marts(extract, month, policy, calendar, workout_cfg)
        t["workout_cases"] = wm["workout_cases"][["loan_id", "customer_name", "claim", "stage", "recommended",
                                                  "recommended_cn", "recommended_pv", "unstable", "write_off_candidate",
                                                  "written_off", "operating_branch_id", "managing_branch_id"]]
        t["workout_foreclosed"] = wm["workout_foreclosed"]
    t["inputs_missing"] = pd.DataFrame({"part": extract.missing_optional()})
    t["targets"] = targets_frame(targets)
    t["policy_settings"] = pd.DataFrame([{**policy.provisions.model_dump(), **policy.highlights.model_dump()}])
    t["branches"] = ctx.branches
    t["dpd_bands"] = pd.DataFrame({"band": [b.id for b in policy.dpd_bands], "label": [b.label for b in policy.dpd_bands]})
    t["officers"] = ctx.officers
    t["calendar_month"] = pd.DataFrame({"month": [month], "start": [ctx.start], "end": [ctx.end],
                                        "prev_month": [ctx.prev_month]})
    return Marts(month, t)


def figures_for_scope(m: Marts, scope: str, with_children: bool = True) -> dict:
    """The figures of METRICS.md "Figures every run publishes" for one scope; with the
    children's rows (`branches`) when `with_children`. A scope's own figures are computed
    once per marts object: the bank's page lists each branch, and each branch has its own."""
    own = m.__dict__.setdefault("_figures", {})
    key = (scope, tuple(map(id, m.tables.values())))         # a table replaced in code: computed again
    if key not in own:
        own[key] = _own_figures(m, scope)
    f = dict(own[key])
    if with_children:
        f["branches"] = [_rounded(r) for r in comparisons.branch_rows(
            lambda b: figures_for_scope(m, b, with_children=False), child_scopes(m["branches"], scope))]
    return _rounded(f)


def _own_figures(m: Marts, scope: str) -> dict:
    cal = m["calendar_month"].iloc[0]
    snap = m.for_scope("loan_snapshot", scope)
    f = {"month": m.month, "scope": scope}
    f.update(portfolio.portfolio_figures(snap, list(m["dpd_bands"]["band"])))
    f.update(portfolio.migration_figures(snap))
    f.update(warnings.warning_figures(m.for_scope("warning_lifecycle", scope), cal["start"], cal["end"]))
    d = m.for_scope("inspection_duties", scope)
    first, routine = d[d["kind"] == "first"], d[d["kind"] != "first"]
    f["first_inspections_due"] = int(len(first))
    f["first_inspections_on_time"] = int((first["status"] == "on_time").sum())
    f["routine_inspections_due"] = int(len(routine))
    f["routine_inspections_on_time"] = int((routine["status"] == "on_time").sum())
    f.update(disposal.disposal_figures(m.for_scope("recoveries_ytd", scope)))
    f["limitation_expiring_90d_count"] = legal.limitation_expiring_count(m.for_scope("legal_deadlines", scope), 90)
    f.update(meetings.meeting_figures(m.for_scope("meeting_actions_status", scope)))
    f.update(management_figures(m, scope, snap, f))
    if "policy_settings" in m.tables:
        f["highlights"] = highlights.highlights(f, snap, m.for_scope("legal_deadlines", scope), cal["end"],
                                                m["policy_settings"].iloc[0])
    return _rounded(f)


def _rounded(f: dict) -> dict:
    """Amounts to the fen (sums of floats carry binary noise); ratios, rates, shares and counts as computed."""
    return {k: round(v, 2) if isinstance(v, float) and not any(w in k for w in ("ratio", "rate", "coverage", "share"))
            else v for k, v in f.items()}


def child_scopes(branches: pd.DataFrame, scope: str) -> list[str]:
    """The scopes one level below: the branches of the bank, the sub-branches of a branch."""
    if scope == "all":
        return branches.loc[branches["level"] == "branch", "branch_id"].astype(str).tolist()
    return branches.loc[branches["parent_id"] == scope, "branch_id"].astype(str).tolist()


def management_figures(m: Marts, scope: str, snap: pd.DataFrame, so_far: dict) -> dict:
    """NPL movement and the ratio's change, comparisons, provisions, concentration, the year to
    date by recovery method and the targets (when the run had them)."""
    f = npl_movement.npl_movement(snap)
    f.update(npl_movement.npl_ratio_change(snap))
    f["comparisons"] = comparisons.comparisons(m.for_scope("portfolio_trend", scope), m.month)
    r = m.for_scope("recoveries_ytd", scope)
    by_method = {k: round(float(v), 2) for k, v in r.groupby("method", observed=True)["amount"].sum().items()}
    f["recovered_ytd_by_method"] = by_method
    f["recovered_cash_ytd"] = round(float(r.loc[r["method"].isin(CASH_METHODS), "amount"].sum()), 2)
    if "policy_settings" in m.tables:               # runs published before these settings: not shown
        st = m["policy_settings"].iloc[0]
        f.update(exposures.provision_figures(snap, st))
        f["top_customers_share"] = exposures.concentration(snap, int(st["top_customers"]))
    if "targets" in m.tables and len(m["targets"]):
        rows = targets_against(m["targets"], m.month, scope, {**so_far, **f}, by_method)
        if rows:                                    # a scope without targets shows none
            f["targets"] = rows
    return f


def freeze_marts(m: Marts, folder: Path) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in m.tables.items():
        path = folder / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        paths.append(path)
    (folder / "month.json").write_text(json.dumps({"month": m.month}), encoding="utf-8")
    return paths


def load_marts(folder: Path) -> Marts:
    folder = Path(folder)
    month = json.loads((folder / "month.json").read_text(encoding="utf-8"))["month"]
    tables = {p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
    return Marts(month, tables)
