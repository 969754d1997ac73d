"""The corpus of broken extracts: each is the small sample with exactly one planted
defect. `postloan validate` must exit non-zero, name the table, column, row (the
line in the CSV file) and rule of that defect in its Chinese report, report
nothing else, and write nothing."""
from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd
import pytest

from postloan.cli import main


@dataclass
class Planted:
    table: str
    column: str | None
    line: int | None          # CSV line of the defect (header = line 1); None for table-level defects


class Extract:
    """The CSV folder as editable string frames."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.frames = {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False) for p in folder.glob("*.csv")}

    def first(self, table: str, where: Callable[[pd.DataFrame], pd.Series] | None = None) -> int:
        f = self.frames[table]
        rows = f.index[where(f)] if where else f.index
        assert len(rows), f"the sample has no row of {table} to plant this defect in"
        return int(rows[0])

    def set(self, table, column, value, where=None) -> Planted:
        i = self.first(table, where)
        self.frames[table].loc[i, column] = value
        return Planted(table, column, i + 2)

    def save(self):
        for name, f in self.frames.items():
            f.to_csv(self.folder / f"{name}.csv", index=False)


def _next_month(m: str, k: int = 1) -> str:
    p = pd.Period(m, "M") + k
    return str(p)


def missing_table(x):
    del x.frames["warnings"]
    (x.folder / "warnings.csv").unlink()
    return Planted("warnings", None, None)


def missing_column(x):
    x.frames["loans"] = x.frames["loans"].drop(columns=["amount"])
    return Planted("loans", "amount", None)


def unreadable_file(x):
    del x.frames["guarantee_agencies"]
    (x.folder / "guarantee_agencies.csv").write_bytes(b"")
    return Planted("guarantee_agencies", None, None)


def bad_date(x):
    return x.set("loans", "disbursement_date", "2024-13-45")


def bad_decimal(x):
    return x.set("loan_month", "balance", "12,3a")


def bad_int(x):
    return x.set("loan_month", "dpd", "ten")


def bad_bool(x):
    return x.set("customers", "is_key_customer", "maybe")


def bad_month(x):
    lm = x.frames["loan_month"]
    last = lm["month"].max()
    return x.set("loan_month", "month", "2024/13", lambda f: (f["month"] == last) & (f["status"] == "active"))


def bad_datetime(x):
    return x.set("collection_actions", "action_time", "昨天晚上")


def unknown_product(x):
    return x.set("loans", "product", "car_loan")


def unknown_classification_label(x):
    return x.set("loan_month", "classification", "很好")


def negative_dpd(x):
    return x.set("loan_month", "dpd", "-3")


def duplicate_loan(x):
    f = x.frames["loans"]
    x.frames["loans"] = pd.concat([f, f.iloc[[5]]], ignore_index=True)
    return Planted("loans", "loan_id", len(f) + 2)


def duplicate_loan_month(x):
    f = x.frames["loan_month"]
    i = x.first("loan_month", lambda d: d["status"] == "active")
    x.frames["loan_month"] = pd.concat([f, f.iloc[[i]]], ignore_index=True)
    return Planted("loan_month", "month,loan_id", len(f) + 2)


def unknown_customer(x):
    return x.set("loans", "customer_id", "C9999999")


def unknown_officer(x):
    return x.set("inspections", "officer_id", "E99999", lambda f: f["officer_id"] != "")


def negative_collateral(x):
    return x.set("collateral", "appraised_value", "-100")


def zero_loan_amount(x):
    return x.set("loans", "amount", "0")


def zero_payment(x):
    return x.set("fund_payments", "amount", "0.00")


def maturity_before_disbursement(x):
    i = x.first("loans", lambda f: f["extended_maturity_date"] == "")
    f = x.frames["loans"]
    f.loc[i, "maturity_date"] = str((pd.Timestamp(f.loc[i, "disbursement_date"]) - pd.Timedelta(days=1)).date())
    return Planted("loans", "maturity_date", i + 2)


def leave_before_hire(x):
    f = x.frames["officers"]
    f.loc[0, "leave_date"] = str((pd.Timestamp(f.loc[0, "hire_date"]) - pd.Timedelta(days=10)).date())
    return Planted("officers", "leave_date", 2)


def overlapping_assignments(x):
    f = x.frames["assignments"]
    counts = f["customer_id"].value_counts()
    cust = counts.index[counts >= 2][0]
    rows = f.index[f["customer_id"] == cust].tolist()
    first, second = sorted(rows, key=lambda r: f.loc[r, "start_date"])[:2]
    f.loc[first, "end_date"] = str((pd.Timestamp(f.loc[second, "start_date"]) + pd.Timedelta(days=10)).date())
    return Planted("assignments", "start_date", second + 2)


def loan_month_gap(x):
    f = x.frames["loan_month"]
    counts = f["loan_id"].value_counts()
    loan = counts.index[counts >= 5][0]
    rows = f.index[f["loan_id"] == loan].tolist()
    rows.sort(key=lambda r: f.loc[r, "month"])
    dropped, after = rows[2], rows[3]
    x.frames["loan_month"] = f.drop(index=dropped).reset_index(drop=True)
    line = after + 2 - (1 if dropped < after else 0)
    return Planted("loan_month", "month", line)


def row_after_exit(x):
    f = x.frames["loan_month"]
    i = x.first("loan_month", lambda d: (d["status"] == "settled") & (d["month"] < d["month"].max()))
    row = f.iloc[[i]].copy()
    row["month"] = _next_month(row["month"].iat[0])
    row["status"] = "active"
    x.frames["loan_month"] = pd.concat([f, row], ignore_index=True)
    return Planted("loan_month", "month", len(f) + 2)


def balance_after_exit(x):
    return x.set("loan_month", "balance", "100", lambda d: d["status"] == "settled")


def row_before_disbursement(x):
    f = x.frames["loan_month"]
    loans = x.frames["loans"]
    first_month = f.groupby("loan_id")["month"].min()
    disb_month = loans.set_index("loan_id")["disbursement_date"].str.slice(0, 7)
    loan = (first_month[first_month == disb_month.reindex(first_month.index)]).index[0]
    i = x.first("loan_month", lambda d: (d["loan_id"] == loan) & (d["month"] == first_month[loan]))
    row = f.iloc[[i]].copy()
    row["month"] = _next_month(row["month"].iat[0], -1)
    x.frames["loan_month"] = pd.concat([f, row], ignore_index=True)
    return Planted("loan_month", "month", len(f) + 2)


def missing_name(x):
    return x.set("customers", "name", "")


def released_without_date(x):
    return x.set("warnings", "released_date", "", lambda f: f["status"] == "released")


def released_without_reason(x):
    return x.set("warnings", "release_reason", "", lambda f: f["status"] == "released")


def restructured_without_date(x):
    p = x.set("loans", "is_restructured", "true", lambda f: f["restructure_date"] == "")
    return Planted("loans", "restructure_date", p.line)


def agency_without_id(x):
    return x.set("guarantees", "agency_id", "", lambda f: f["guarantor_kind"] == "guarantee_agency")


def done_without_date(x):
    return x.set("meeting_actions", "done_date", "", lambda f: f["status"] == "done")


def branch_without_parent(x):
    return x.set("branches", "parent_id", "", lambda f: f["level"] == "branch")


def bad_industry(x):
    return x.set("customers", "industry_code", "Z9", lambda f: f["industry_code"] != "")


CORPUS = [
    (missing_table, "missing_table"), (missing_column, "missing_column"), (unreadable_file, "unreadable_source"),
    (bad_date, "unparseable_value"), (bad_decimal, "unparseable_value"), (bad_int, "unparseable_value"),
    (bad_bool, "unparseable_value"), (bad_month, "unparseable_value"), (bad_datetime, "unparseable_value"),
    (unknown_product, "unknown_enum"), (unknown_classification_label, "unknown_enum"),
    (negative_dpd, "negative_amount"), (duplicate_loan, "duplicate_key"), (duplicate_loan_month, "duplicate_key"),
    (unknown_customer, "missing_reference"), (unknown_officer, "missing_reference"),
    (negative_collateral, "negative_amount"), (zero_loan_amount, "not_positive"), (zero_payment, "not_positive"),
    (maturity_before_disbursement, "date_order"), (leave_before_hire, "date_order"),
    (overlapping_assignments, "assignment_overlap"), (loan_month_gap, "loan_month_gap"),
    (row_after_exit, "loan_month_after_exit"), (balance_after_exit, "balance_after_exit"),
    (row_before_disbursement, "loan_month_before_disbursement"), (missing_name, "required_missing"),
    (released_without_date, "required_when"), (released_without_reason, "required_when"),
    (restructured_without_date, "required_when"), (agency_without_id, "required_when"),
    (done_without_date, "required_when"), (branch_without_parent, "head_office_parent"),
    (bad_industry, "pattern_mismatch"),
]


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def broken(tmp_path, sample_csv, monkeypatch):
    folder = tmp_path / "extract"
    shutil.copytree(sample_csv, folder)
    monkeypatch.chdir(tmp_path)
    return folder


def _validate(folder, capsys) -> tuple[int, str]:
    code = main(["validate", "--source", str(folder), "--all"])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 25
    assert len({rule for _, rule in CORPUS}) >= 15


@pytest.mark.parametrize("plant,rule", CORPUS, ids=[f.__name__ for f, _ in CORPUS])
def test_each_defect_gets_its_own_message_and_nothing_is_written(broken, capsys, plant, rule):
    x = Extract(broken)
    planted = plant(x)
    x.save()
    before = _snapshot(broken.parent)
    code, report = _validate(broken, capsys)
    assert code == 1, report
    details = [line.strip() for line in report.split("明细 (details):")[1].splitlines() if line.strip().startswith("表 ")]
    assert len(details) == 1, report           # exactly the planted defect, nothing else
    line = details[0]
    assert f"表 {planted.table}（" in line and f"[{rule}]" in line
    if planted.column:
        assert f"列 {planted.column}" in line
    if planted.line:
        assert f"第 {planted.line} 行" in line
    assert "未生成任何输出" in report
    assert _snapshot(broken.parent) == before   # the extract untouched, nothing new beside it


def test_all_violations_are_reported_at_once(broken, capsys):
    x = Extract(broken)
    planted = [bad_date(x), unknown_customer(x), negative_collateral(x), done_without_date(x)]
    x.save()
    code, report = _validate(broken, capsys)
    assert code == 1
    assert "共 4 处" in report
    for p in planted:
        assert f"第 {p.line} 行" in report


def test_clean_extract_passes(broken, capsys):
    code, report = _validate(broken, capsys)
    assert code == 0, report
    assert "数据校验通过" in report


def test_excel_row_numbers_match_the_sheet(tmp_path, sample_tables, capsys):
    from postloan.sample import writers
    tables = {k: v.copy() for k, v in sample_tables.items()}
    tables["loans"].loc[9, "interest_rate"] = -0.01          # 10th data row = sheet row 11
    path = writers.write_xlsx(tables, tmp_path / "bad.xlsx")
    code, report = _validate(path, capsys)
    assert code == 1
    assert "表 loans（借据），第 11 行" in report and "[negative_amount]" in report


# --- found when the suite was tried as a careless clerk would (issue 10) ---------------------

def duplicated_column(x):
    f = x.frames["customers"]
    x.frames["customers"] = pd.concat([f, f[["name"]]], axis=1)       # pandas writes the header twice
    return Planted("customers", "name", None)


def test_a_duplicated_column_is_reported(broken, capsys):
    x = Extract(broken)
    planted = duplicated_column(x)
    x.save()
    assert (broken / "customers.csv").read_text(encoding="utf-8").splitlines()[0].split(",").count("name") == 2
    code, report = _validate(broken, capsys)
    assert code == 1 and "[duplicate_column]" in report and f"列 {planted.column}" in report


@pytest.mark.parametrize("encoding,expected", [("utf-16", "UTF-16"), ("gbk+bom", "UTF-8 标记")])
def test_a_file_in_the_wrong_encoding_is_one_encoding_problem(broken, capsys, encoding, expected):
    text = (broken / "branches.csv").read_text(encoding="utf-8")
    data = text.encode("utf-16") if encoding == "utf-16" else b"\xef\xbb\xbf" + text.encode("gbk")
    (broken / "branches.csv").write_bytes(data)
    code, report = _validate(broken, capsys)
    details = [line for line in report.splitlines() if line.strip().startswith("表 ")]
    assert code == 1 and len(details) == 1 and "[bad_encoding]" in details[0] and expected in details[0], report


def test_a_header_only_table_is_a_contract_violation_not_a_crash(broken, capsys):
    header = (broken / "loans.csv").read_text(encoding="utf-8").splitlines()[0]
    (broken / "loans.csv").write_text(header + "\n", encoding="utf-8")
    code, report = _validate(broken, capsys)
    assert code == 1 and "[missing_reference]" in report and "Traceback" not in report


def test_an_optional_date_column_left_out_is_valid(broken, capsys):
    f = pd.read_csv(broken / "officers.csv", dtype=str, keep_default_na=False)
    f.drop(columns=["leave_date"]).to_csv(broken / "officers.csv", index=False)
    code, report = _validate(broken, capsys)
    assert code == 0, report


def test_a_blank_first_row_in_a_sheet_is_reported(tmp_path, capsys):
    import openpyxl
    from data_connectors import load_extract
    from postloan.sample import writers
    from tiny_bank import write_tiny_bank
    tables = load_extract(write_tiny_bank(tmp_path / "tiny")).tables       # a small workbook: openpyxl is slow
    path = writers.write_xlsx(tables, tmp_path / "bank.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["branches"].insert_rows(1)
    wb.save(path)
    code, report = _validate(path, capsys)
    details = [line for line in report.splitlines() if line.strip().startswith("表 ")]
    assert code == 1 and len(details) == 1 and "表 branches" in details[0] and "[header_not_found]" in details[0], report


def test_the_reserved_scope_name_is_not_a_branch_id(broken, capsys):
    x = Extract(broken)
    f = x.frames["branches"]
    f.loc[f["level"] == "head_office", "branch_id"] = "all"
    for table, col in (("branches", "parent_id"), ("officers", "branch_id"), ("customers", "operating_branch_id"),
                       ("meeting_actions", "branch_id")):
        g = x.frames[table]
        g.loc[g[col] == "B000", col] = "all"
    x.save()
    code, report = _validate(broken, capsys)
    assert code == 1 and "[pattern_mismatch]" in report and "全行" in report


def test_branch_ids_that_validate_accepts_run(tmp_path, sample_tables, capsys):
    """One rule for branch ids (the contract's): an id with '-' and '_' validates and runs."""
    from postloan.cli import main as cli
    from postloan.sample import writers
    tables = {k: v.copy() for k, v in sample_tables.items()}
    rename = {"B100": "HZ-01_x"}
    for name, spec in (("branches", ["branch_id", "parent_id"]), ("officers", ["branch_id"]),
                       ("customers", ["operating_branch_id"]), ("meeting_actions", ["branch_id"])):
        for col in spec:
            tables[name][col] = tables[name][col].astype(object).replace(rename)
    bank = writers.write_duckdb(tables, tmp_path / "bank.duckdb")
    assert cli(["validate", "--source", str(bank)]) == 0
    code = cli(["run", "--source", str(bank), "--out", str(tmp_path / "out"), "--products", "meeting_pack",
                "--scopes", "HZ-01_x", "--no-pdf"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert list((tmp_path / "out").glob("*/run-*/meeting_pack/HZ-01_x.html"))
