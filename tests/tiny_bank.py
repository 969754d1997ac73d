"""A hand-made extract of a few loans whose figures for 2025-10 are worked out by hand
in test_marts_unit.py. Written as CSV text, so it goes through the real loader."""
from __future__ import annotations

from pathlib import Path

from postloan.contract import TABLES

ROWS = {
    "branches": [
        "B000,总行,,head_office", "B100,杭州分行,B000,branch", "B101,西湖支行,B100,sub_branch",
        "B200,宁波分行,B000,branch", "B201,海曙支行,B200,sub_branch"],
    "officers": [
        "E1,张伟,B101,account_manager,2020-01-01,", "E2,李娜,B201,account_manager,2020-01-01,",
        "E3,王强,B100,post_loan_manager,2019-01-01,", "E9,赵敏,B000,post_loan_manager,2018-01-01,",
        "E4,周杰,B201,account_manager,2020-01-01,", "E5,吴芳,B101,account_manager,2025-10-16,"],
    "customers": [
        "C1,杭州华盛机械制造有限公司,corporate,C,B101,false,A,2030-01-01,2025-06-30",
        "C2,李明,individual,,B201,false,,2031-01-01,",
        "C3,西湖恒泰商贸有限公司,small_business,F,B101,false,BBB,2029-01-01,2025-03-31"],
    "assignments": ["C1,E1,2024-01-01,,,,", "C2,E2,2024-01-01,,,,", "C3,E1,2024-01-01,2025-10-16,,,",
                    "C3,E5,2025-10-16,,rotation,,2025-10-17"],
    "loans": [
        "L1,C1,working_capital,1000000,2025-01-10,2026-01-10,,0.04,mortgage,entrusted,采购原材料,false,",
        "L2,C1,fixed_asset,500000,2024-06-01,2027-06-01,,0.045,mortgage,entrusted,厂房建设,false,",
        "L3,C2,mortgage,300000,2025-09-20,2045-09-20,,0.035,mortgage,entrusted,购买住房,false,",
        "L4,C3,working_capital,200000,2025-10-05,2026-10-05,,0.05,guarantee,entrusted,日常经营周转,false,",
        "L5,C3,personal_business,100000,2024-01-15,2025-01-15,,0.06,credit,self,经营周转,false,",
        "L6,C3,working_capital,50000,2021-11-20,2022-11-20,,0.06,credit,self,经营周转,false,"],
    "loan_month": [
        "2025-09,L1,1000000,0,0,0,normal,active,10000",
        "2025-09,L2,450000,0,0,20,special_mention,active,13500",
        "2025-09,L3,300000,0,0,0,normal,active,",
        "2025-09,L5,80000,80000,2000,600,loss,active,80000",
        "2025-09,L6,50000,50000,1000,1045,loss,active,50000",
        "2025-10,L1,1000000,100000,12000,95,substandard,active,300000",
        "2025-10,L2,440000,10000,300,40,normal,active,",
        "2025-10,L3,299000,0,0,0,normal,active,",
        "2025-10,L4,200000,0,0,0,normal,active,",
        "2025-10,L5,0,0,0,631,loss,written_off,",
        "2025-10,L6,50000,50000,1000,1076,loss,active,50000"],
    "inspections": [
        "I1,C2,,first,2025-10-25,E2,true,,,",
        "I2,C3,L4,first,2025-10-12,E1,true,,good,",
        "I3,C1,,routine,2025-10-15,E1,true,,excellent,经营正常"],
    "warnings": [
        "W1,C1,FIN01,financial,system,red,2025-09-30,2025-10-10,E1,2025-10-11,2025-10-12,提高检查频率,handling,,,2025-09-30",
        "W2,C2,REP01,repayment,system,yellow,2025-10-27,,,,,,open,,,2025-10-27",
        "W3,C3,OPR01,operational,officer,orange,2025-09-26,2025-09-29,E1,2025-09-30,2025-10-01,追加担保,released,2025-10-20,已追加担保,2025-09-26",
        "W4,C1,EXT01,external,external_data,yellow,2025-10-02,,,,,,rejected,,,2025-10-03",
        "W5,C2,REP02,repayment,system,orange,2025-10-09,,,,,,open,,,2025-10-10",
        "W6,C1,EXT02,external,external_data,red,2025-10-20,,,,,,open,,,2025-10-20"],
    "collateral": [], "guarantees": [], "guarantee_agencies": [], "fund_payments": [],
    "collection_actions": ["A1,L6,2025-01-01 10:00:00,phone,E1,,borrower,no_answer,,,false"],
    "recoveries": ["R1,L5,2025-10-31,write_off,80000,,", "R2,L1,2025-10-15,cash,5000,,", "R4,L1,2025-10-20,cash,15000,,",
                   "R3,L1,2025-09-30,guarantor_payment,2000,,"],
    "legal_cases": [],
    "archives": ["L4,contract,2025-10-10,2025-10-08", "L4,iou,2025-10-10,"],
    "meeting_actions": [
        "MA1,2025-09,B100,催收 L1,E1,2025-10-15,done,2025-10-10",
        "MA2,2025-09,B100,补做检查,E1,2025-10-20,open,",
        "MA3,2025-10,B200,核实押品,E2,2025-11-30,open,",
        "MA4,2025-08,B000,全行档案清理,E9,2025-09-30,done,2025-11-05",
        "MA5,2025-11,B100,下月事项,E1,2025-12-15,open,",
        "MA6,2025-09,B200,已取消事项,E2,2025-10-01,cancelled,"],
}


def write_rows(folder: Path, *more: dict) -> Path:
    """The tiny bank's rows plus each dict of further rows (table -> CSV lines), as CSV files
    of the contract's required columns; the optional tables and columns are left out, as many
    banks will."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, spec in TABLES.items():
        if spec.optional:
            continue
        rows = ROWS[name] + [r for extra in more for r in extra.get(name, [])]
        text = ",".join(c.name for c in spec.columns if not c.optional) + "\n" + "".join(r + "\n" for r in rows)
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def write_tiny_bank(folder: Path) -> Path:
    return write_rows(folder)
