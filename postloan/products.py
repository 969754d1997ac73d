"""The products a run can build. A new product is one entry here, one workbook, one
parameter model and one parameters file."""
from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from postloan.run.params import MeetingPackParams


@dataclass(frozen=True)
class Product:
    name: str
    label: str
    workbook: str                 # file under workbooks/
    params_model: type[BaseModel]


PRODUCTS = {
    "meeting_pack": Product("meeting_pack", "贷后管理例会材料", "meeting_pack.ipynb", MeetingPackParams),
}
