"""Workbook parameters: one pydantic model per workbook, checked before any kernel starts.

Papermill writes each parameter name into code verbatim and has no types, so every
key is checked against the model (unknown keys and bad values rejected, the key
named) and against the workbook's own parameters cell.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from postloan.contract import BRANCH_ID_PATTERN
from postloan.paths import parameters_dir
from postloan.policy import ParameterError, describe_validation_error, load_model

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


PERIOD = r"^\d{4}(-(0[1-9]|1[0-2]|Q[1-4]))?$"


class _RunParams(BaseModel):
    """What every workbook receives from the run: the scope and the run folder."""
    model_config = ConfigDict(extra="forbid")
    scope: str = Field(pattern=rf"^{BRANCH_ID_PATTERN}$")      # "all" or a branch id, by the contract's rule
    run_dir: str


class MeetingPackParams(_RunParams):
    month: str = Field(pattern=MONTH)
    amount_unit: Literal["元", "万元", "亿元"] = "亿元"
    top_n: int = Field(default=15, ge=1, le=500)
    trend_months: int = Field(default=12, ge=2, le=36)


class ScorecardParams(_RunParams):
    period: str = Field(pattern=PERIOD)
    top_n: int = Field(default=8, ge=1, le=100)
    show_pages: bool = False        # the officer pages are written and printed once per officer anyway


class AccountabilityParams(_RunParams):
    period: str = Field(pattern=PERIOD)
    show_cases: bool = False        # the case files are written and printed once per case anyway


class WorkoutParams(_RunParams):
    month: str = Field(pattern=MONTH)
    top_n: int = Field(default=30, ge=1, le=500)
    show_cases: bool = False        # the case files are written and printed once per case anyway


class ParameterFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    workbook: str
    parameters: dict


def notebook_parameter_names(notebook: Path) -> set[str]:
    import papermill
    return set(papermill.inspect_notebook(str(notebook)).keys())


def load_workbook_parameters(product, notebook: Path, path: Path | None = None) -> dict:
    """The bank's settings for one workbook (parameters/<product>.yaml), validated:
    the file's shape, each key against the model and against the notebook's cell."""
    path = Path(path) if path else parameters_dir() / f"{product.name}.yaml"
    spec = load_model(path, ParameterFile)
    if spec.workbook != product.name:
        raise ParameterError(f"参数文件 {path} 属于工作簿 {spec.workbook!r}，不是 {product.name!r} (parameters_wrong_workbook)")
    cell = notebook_parameter_names(notebook)
    unknown = sorted(set(spec.parameters) - cell)
    if unknown:
        raise ParameterError(f"参数文件 {path}：工作簿 {notebook.name} 的参数单元中没有这些参数 (unknown_key)："
                             + "、".join(unknown))
    runtime = set(runtime_placeholders(product))
    reserved = sorted(set(spec.parameters) & runtime)
    if reserved:
        raise ParameterError(f"参数文件 {path}：这些参数由每次运行填写，不能写在参数文件中 (reserved_key)："
                             + "、".join(reserved))
    # the run fills month, scope and run_dir; the file's own values are checked now
    check_parameters(product, {**runtime_placeholders(product), **spec.parameters}, path)
    return dict(spec.parameters)


def runtime_placeholders(product, period: str = "2000-01", scope: str = "all", run_dir: str = "-") -> dict:
    """The values a run fills in: the period under the name the workbook uses for it."""
    key = "month" if "month" in product.params_model.model_fields else "period"
    return {key: period, "scope": scope, "run_dir": run_dir}


def check_parameters(product, values: dict, where="参数") -> dict:
    try:
        return product.params_model.model_validate(values).model_dump()
    except ValidationError as exc:
        raise ParameterError(describe_validation_error(Path(str(where)), exc)) from None


def run_settings(product, run_dir) -> BaseModel:
    """The workbook parameters a published run used for `product` (recorded in its manifest
    under parameters.workbooks), with the model's defaults for what the file left out: what a
    dashboard needs to show a view as the run's pages show it (the rows listed, the unit)."""
    import json
    manifest = Path(run_dir) / "manifest.json"
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))["parameters"]["workbooks"].get(product.name, {})
    except (OSError, ValueError, KeyError) as exc:
        raise ParameterError(f"运行目录中没有可读的运行清单 (manifest_unreadable)：{manifest}：{exc}") from None
    return product.params_model.model_validate({**runtime_placeholders(product, run_dir=str(run_dir)), **recorded})
