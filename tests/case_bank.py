"""Hand-built accountability cases for 2025-10 on top of the tiny bank: a diligent officer
(应免责), one with minor lapses only (可减责免责), a customer with a stretch of nobody
assigned and a handover in the middle of an inspection window, and a large corporate
loan with a serious lapse outside the 普惠 scope. Every loan below became NPL in 2025-10."""
from __future__ import annotations

from pathlib import Path

from tiny_bank import write_rows

EXTRA = {
    "officers": ["E6,陈静,B101,account_manager,2019-01-01,", "E7,刘洋,B201,account_manager,2019-01-01,",
                 "E8,黄磊,B101,account_manager,2019-01-01,", "E10,孙丽,B201,account_manager,2019-01-01,",
                 "E11,郑华,B101,branch_head,2015-01-01,", "E12,马超,B201,account_manager,2019-01-01,"],
    "customers": ["C4,西湖勤勉商贸有限公司,small_business,F,B101,false,A,2030-01-01,2025-06-30",
                  "C5,海曙小微五金店（个体工商户）,small_business,F,B201,false,BB,2030-01-01,2025-06-30",
                  "C6,西湖空档物流有限公司,small_business,G,B101,false,BB,2030-01-01,2025-06-30",
                  "C7,宁波大型制造股份有限公司,corporate,C,B201,false,AA,2030-01-01,2025-06-30",
                  "C8,海曙旧账贸易有限公司,small_business,F,B201,false,B,2030-01-01,2025-06-30"],
    "assignments": ["C4,E6,2025-01-01,,,,", "C5,E7,2025-01-01,,,,",
                    "C6,E6,2025-05-01,2025-08-10,,,", "C6,E8,2025-08-20,,reassignment,,2025-08-21",
                    "C7,E10,2025-01-01,,,,", "C8,E12,2022-01-01,,,,"],
    "loans": ["L7,C4,personal_business,300000,2025-06-02,2026-06-02,,0.05,credit,entrusted,经营周转,false,",
              "L8,C5,working_capital,400000,2025-06-02,2026-06-02,,0.05,credit,entrusted,经营周转,false,",
              "L9,C6,working_capital,500000,2025-06-02,2026-06-02,,0.05,credit,entrusted,经营周转,false,",
              "L10,C7,working_capital,20000000,2025-06-02,2026-06-02,,0.04,credit,self,采购原材料,false,",
              "L11,C8,working_capital,600000,2022-06-01,2022-09-01,,0.05,mortgage,entrusted,经营周转,false,"],
    "loan_month": [f"2025-09,{l},{b},10000,500,64,special_mention,active," for l, b in
                   (("L7", 300000), ("L8", 400000), ("L9", 500000), ("L10", 20000000), ("L11", 600000))] +
                  [f"2025-10,{l},{b},20000,900,95,substandard,active," for l, b in
                   (("L7", 300000), ("L8", 400000), ("L9", 500000), ("L10", 20000000), ("L11", 600000))],
    "inspections": ["I4,C4,L7,first,2025-06-10,E6,true,,,", "I5,C4,,routine,2025-08-15,E6,true,,,",
                    "I6,C4,,routine,2025-10-10,E6,true,,,",
                    "I7,C5,L8,first,2025-06-20,E7,true,,,", "I8,C5,,routine,2025-08-20,E7,true,,,",
                    "I9,C5,,routine,2025-10-12,E7,true,,,",
                    "I10,C6,L9,first,2025-06-10,E6,true,,,", "I11,C6,,routine,2025-10-05,E8,true,,,",
                    "I12,C7,L10,first,2025-06-10,E10,true,,,", "I13,C7,,routine,2025-08-10,E10,true,,,",
                    "I14,C7,,routine,2025-10-08,E10,true,,,",
                    "I15,C8,L11,first,2022-06-10,E12,true,,,", "I16,C8,,routine,2025-08-05,E12,true,,,",
                    "I17,C8,,routine,2025-10-09,E12,true,,,"],
    "warnings": ["W7,C4,REP03,repayment,system,yellow,2025-09-15,2025-09-16,E6,2025-09-17,2025-09-18,提高检查频率,handling,,,2025-09-15",
                 "W8,C8,FIN02,financial,system,yellow,2025-10-13,2025-10-14,E12,,,,open,,,2025-10-28"],
    "collateral": ["K1,L11,residential,900000,2023-05-01,true,2022-08-15,"],
    "guarantees": ["G1,L11,钱多多,individual,,600000,joint,"],
    "fund_payments": ["P1,L7,2025-06-03,300000,entrusted,杭州原料供应有限公司,supplier",
                      "P2,L10,2025-06-03,15000000,self,宁波钢材贸易有限公司,supplier"],
    "collection_actions": ["A2,L7,2025-07-30 10:00:00,phone,E6,,borrower,promise_to_pay,10000,2025-08-10,true",
                           "A3,L8,2025-07-30 10:00:00,phone,E7,,borrower,contacted,,,true",
                           "A4,L10,2025-07-30 10:00:00,letter,E10,,borrower,contacted,,,true",
                           "A5,L11,2025-07-30 23:10:00,phone,E12,,third_party,contacted,,,false"],
    "archives": ["L7,contract,2025-06-07,2025-06-05", "L8,contract,2025-06-07,2025-06-09",
                 "L9,contract,2025-06-07,2025-06-06", "L9,iou,2025-08-15,",
                 "L10,contract,2025-06-07,2025-06-05"],
}


def write_case_bank(folder: Path) -> Path:
    return write_rows(folder, EXTRA)
