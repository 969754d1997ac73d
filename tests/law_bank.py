"""Hand-built accountability cases for the rules of 金规〔2024〕11号 and the default cut-off,
on top of tests/case_bank.py (period 2025-10):

- L12 (C9, 王刚 E13): defaulted in December 2024 and sat in collection until written off
  in 2025-10; every inspection window since then was missed — after the default.
- L13 (C10, 何平 E14): a missed first inspection by an officer who left on 2025-08-31.
- L14 (C11, 邓超 E15): NPL since before the period; its limitation ran out on 2025-10-15
  (matured 2022-10-15, no interruption): a lost right opens a case.
- L15 (C12): 冯涛 E16 missed the first inspection and the second-quarter window (6 points),
  handed over to 曹阳 E17 who filed an IOU 3 days late (1 point); the head of 西湖支行
  (E11) and the head of 杭州分行 at the time (许静 E18, left 2025-08-31; her successor
  E19 came after every lapse).
- L16 (C13, small business, 普惠) and L17 (C14, large corporate) have the same record, one
  warning reported 8 days late among nine duties otherwise done on time; L17 also has
  recoveries by guarantor payment, foreclosure, transfer and cash; C13 once had a
  20,000,000 loan, settled in 2020.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from case_bank import EXTRA
from tiny_bank import write_rows

LAW = {
    "officers": ["E13,王刚,B101,account_manager,2019-01-01,", "E14,何平,B201,account_manager,2019-01-01,2025-08-31",
                 "E15,邓超,B101,account_manager,2019-01-01,", "E16,冯涛,B101,account_manager,2019-01-01,",
                 "E17,曹阳,B101,account_manager,2019-01-01,", "E18,许静,B100,branch_head,2016-01-01,2025-08-31",
                 "E19,韩梅,B100,branch_head,2025-09-01,", "E20,田甜,B101,account_manager,2019-01-01,",
                 "E21,蒋勇,B201,account_manager,2019-01-01,"],
    "customers": ["C9,西湖久拖实业有限公司,corporate,C,B101,false,BB,2030-01-01,2025-06-30",
                  "C10,海曙离任商贸有限公司,small_business,F,B201,false,BB,2030-01-01,2025-06-30",
                  "C11,西湖时效机电有限公司,corporate,C,B101,false,B,2030-01-01,2025-06-30",
                  "C12,西湖分责科技有限公司,corporate,C,B101,false,BB,2030-01-01,2025-06-30",
                  "C13,西湖普惠小微商行,small_business,F,B101,false,BB,2030-01-01,2025-06-30",
                  "C14,海曙大额实业股份有限公司,corporate,C,B201,false,AA,2030-01-01,2025-06-30"],
    "assignments": ["C9,E13,2023-01-01,,,,", "C10,E14,2025-04-01,2025-08-31,,,",
                    "C10,E4,2025-09-01,,departure,E2,2025-09-01", "C11,E15,2021-10-01,,,,",
                    "C12,E16,2025-01-01,2025-07-31,,,", "C12,E17,2025-08-01,,rotation,E11,2025-08-01",
                    "C13,E20,2025-01-01,,,,", "C14,E21,2025-01-01,,,,"],
    "loans": ["L12,C9,working_capital,1000000,2024-01-10,2025-01-10,,0.05,credit,entrusted,经营周转,false,",
              "L13,C10,working_capital,300000,2025-05-01,2026-05-01,,0.05,credit,entrusted,经营周转,false,",
              "L14,C11,working_capital,500000,2021-10-15,2022-10-15,,0.05,credit,entrusted,经营周转,false,",
              "L15,C12,working_capital,2000000,2025-02-03,2026-02-03,,0.05,credit,entrusted,经营周转,false,",
              "L16,C13,working_capital,800000,2025-01-02,2026-01-02,,0.05,credit,entrusted,经营周转,false,",
              "L17,C14,working_capital,20000000,2025-01-02,2026-01-02,,0.05,credit,entrusted,经营周转,false,",
              "L18,C13,working_capital,20000000,2019-01-01,2020-01-01,,0.05,credit,entrusted,经营周转,false,"],
    "loan_month": ["2024-11,L12,1000000,50000,3000,65,special_mention,active,",
                   "2024-12,L12,1000000,80000,5000,96,substandard,active,",
                   *[f"{m},L12,900000,900000,90000,{(pd.Period(m, 'M').end_time.normalize() - pd.Timestamp('2024-12-31')).days + 96},"
                     f"{'doubtful' if m < '2025-04' else 'loss'},active," for m in
                     [str(p) for p in pd.period_range("2025-01", "2025-09", freq="M")]],
                   "2025-10,L12,0,0,0,401,loss,written_off,",
                   "2025-09,L13,300000,10000,500,35,special_mention,active,",
                   "2025-10,L13,300000,20000,900,96,substandard,active,",
                   "2025-09,L14,500000,500000,90000,1080,loss,active,",
                   "2025-10,L14,500000,500000,95000,1111,loss,active,",
                   "2025-09,L15,2000000,50000,3000,30,special_mention,active,",
                   "2025-10,L15,2000000,90000,6000,92,substandard,active,",
                   "2025-09,L16,800000,20000,1000,40,special_mention,active,",
                   "2025-10,L16,800000,40000,2000,95,substandard,active,",
                   "2025-09,L17,20000000,200000,10000,40,special_mention,active,",
                   "2025-10,L17,19640000,400000,20000,95,substandard,active,"],
    "inspections": ["I30,C9,L12,first,2024-01-15,E13,true,,,",
                    "I31,C10,,routine,2025-09-20,E4,true,,,", "I32,C10,,routine,2025-10-05,E4,true,,,",
                    "I33,C11,L14,first,2021-10-20,E15,true,,,",
                    "I34,C12,,routine,2025-09-15,E17,true,,,", "I35,C12,,routine,2025-10-20,E17,true,,,",
                    "I36,C13,L16,first,2025-01-10,E20,true,,,", "I37,C13,,routine,2025-05-10,E20,true,,,",
                    "I38,C13,,routine,2025-08-10,E20,true,,,", "I39,C13,,routine,2025-10-10,E20,true,,,",
                    "I40,C14,L17,first,2025-01-10,E21,true,,,", "I41,C14,,routine,2025-05-10,E21,true,,,",
                    "I42,C14,,routine,2025-08-10,E21,true,,,", "I43,C14,,routine,2025-10-10,E21,true,,,"],
    "warnings": ["W10,C13,FIN03,financial,system,yellow,2025-09-01,2025-09-16,E20,2025-09-17,2025-09-18,压降敞口,handling,,,2025-09-01",
                 "W11,C14,FIN03,financial,system,yellow,2025-09-01,2025-09-16,E21,2025-09-17,2025-09-18,压降敞口,handling,,,2025-09-01"],
    "collection_actions": ["A10,L12,2024-09-28 10:00:00,phone,E13,,borrower,contacted,,,false",
                           "A11,L13,2025-08-28 10:00:00,phone,E14,,borrower,contacted,,,false",
                           "A12,L14,2022-10-17 10:00:00,phone,E15,,borrower,no_answer,,,false",
                           "A13,L15,2025-09-02 10:00:00,phone,E17,,borrower,contacted,,,false",
                           "A14,L16,2025-08-23 10:00:00,phone,E20,,borrower,contacted,,,false",
                           "A15,L17,2025-08-23 10:00:00,phone,E21,,borrower,contacted,,,false"],
    "recoveries": ["R10,L17,2025-10-05,guarantor_payment,100000,,", "R11,L17,2025-10-20,foreclosure,200000,,",
                   "R12,L17,2025-10-25,transfer,10000,,", "R13,L17,2025-10-28,cash,50000,,"],
    "archives": ["L13,contract,2025-05-08,2025-05-06", "L15,contract,2025-02-10,2025-02-08",
                 "L15,iou,2025-08-20,2025-08-23", "L16,contract,2025-01-09,2025-01-05",
                 "L17,contract,2025-01-09,2025-01-05"],
}


def write_law_bank(folder: Path) -> Path:
    return write_rows(folder, EXTRA, LAW)
