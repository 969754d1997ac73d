"""Every parameter file a run uses, validated together before the extract is read, and
snapshotted into the run folder so that the run's pages are always drawn with the run's
parameters (a page of an old run never changes because today's policy did).

    params = load_parameter_set()                  # parameters/ (or POSTLOAN_PARAMETERS_DIR)
    params = load_parameter_set("/etc/postloan")   # another folder: every file comes from there
    params.snapshot(run_dir / "parameters")        # -> [{"name", "file", "sha256"}, …] for the manifest
    run_policy(run_dir)                            # what a presenter reads: the run's own policy
"""
from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from postloan.paths import parameters_dir
from postloan.policy import ParameterError, Policy, WorkCalendar, load_calendar, load_policy

SNAPSHOT = "parameters"        # the folder of a run (or of on-the-fly marts) that holds the copies
FILES = {"policy": "policy.yaml", "calendar": "calendar.yaml",
         "scorecard_policy": "scorecard_policy.yaml", "accountability_policy": "accountability_policy.yaml",
         "workout_policy": "workout_policy.yaml"}
OPTIONAL_FILES = {"recovery_targets": "recovery_targets.csv", "targets": "targets.yaml"}      # read when present


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass
class ParameterSet:
    """The policy files of one run (workbook parameter files are added by the run with `add`)."""
    paths: dict[str, Path]
    policy: Policy
    calendar: WorkCalendar
    scorecard: object                    # postloan.scorecard.config.ScorecardConfig
    accountability: object               # postloan.accountability.config.AccountabilityConfig
    workout: object = None               # postloan.workout.config.WorkoutConfig
    recovery_targets: dict[str, float] = field(default_factory=dict)   # officer_id -> yuan per month
    extra: dict[str, Path] = field(default_factory=dict)
    targets: object = None               # postloan.targets.Targets (parameters/targets.yaml), or None

    def add(self, name: str, path: Path) -> None:
        """A further file the run read (a workbook's parameters/<product>.yaml)."""
        self.extra[name] = Path(path)

    def files(self) -> dict[str, Path]:
        return {**self.paths, **self.extra}

    def snapshot(self, dest: Path) -> list[dict]:
        """Copy every file into `dest`; the manifest entries (name, file in the run, sha256)."""
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        out = []
        for name, src in self.files().items():
            target = dest / Path(src).name
            shutil.copyfile(src, target)
            out.append({"name": name, "file": f"{SNAPSHOT}/{target.name}", "source": str(src),
                        "sha256": _sha256(target)})
        return out


def load_parameter_set(folder: Path | str | None = None, policy: Path | str | None = None,
                       calendar: Path | str | None = None) -> ParameterSet:
    """Every policy file from `folder` (default parameters/), `policy`/`calendar` overriding one
    file each; all validated now, each failure a ParameterError naming the file and key."""
    from postloan.accountability.config import load_accountability_config
    from postloan.scorecard.config import load_scorecard_config
    from postloan.workout.config import load_workout_config
    folder = Path(folder) if folder else parameters_dir()
    if not folder.is_dir():
        raise ParameterError(f"参数目录不存在 (parameters_dir_missing)：{folder}")
    paths = {name: folder / file for name, file in FILES.items()}
    if policy:
        paths["policy"] = Path(policy)
    if calendar:
        paths["calendar"] = Path(calendar)
    for name, path in paths.items():
        if not path.is_file():
            raise ParameterError(f"参数文件不存在 (parameter_file_missing)：{path}")
    for name, file in OPTIONAL_FILES.items():
        if (folder / file).is_file():
            paths[name] = folder / file
    from postloan.targets import load_targets
    return ParameterSet(paths, load_policy(paths["policy"]), load_calendar(paths["calendar"]),
                        load_scorecard_config(paths["scorecard_policy"]),
                        load_accountability_config(paths["accountability_policy"]),
                        load_workout_config(paths["workout_policy"]),
                        load_recovery_targets(paths["recovery_targets"]) if "recovery_targets" in paths else {},
                        targets=load_targets(paths["targets"]) if "targets" in paths else None)


def load_recovery_targets(path: Path) -> dict[str, float]:
    """parameters/recovery_targets.csv: `officer_id,target_yuan_per_month`, one row per officer
    whose recovery target differs from the flat default of scorecard_policy.yaml."""
    import csv
    out: dict[str, float] = {}
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(f"参数文件无法读取 (parameters_unparseable)：{path}：{exc}") from None
    if rows and set(rows[0]) != {"officer_id", "target_yuan_per_month"}:
        raise ParameterError(f"参数文件校验未通过 (parameters_invalid)：{path}：表头应为 officer_id,target_yuan_per_month，"
                             f"实为 {','.join(rows[0])}")
    for i, row in enumerate(rows, start=2):
        oid = (row["officer_id"] or "").strip()
        try:
            value = float(row["target_yuan_per_month"])
        except (TypeError, ValueError):
            value = -1.0
        if not oid or not value > 0:
            raise ParameterError(f"参数文件校验未通过 (parameters_invalid)：{path} 第 {i} 行："
                                 f"officer_id 不能为空、target_yuan_per_month 须为正数，值 {row!r}")
        if oid in out:
            raise ParameterError(f"参数文件校验未通过 (parameters_invalid)：{path} 第 {i} 行：人员 {oid} 重复")
        out[oid] = value
    return out


@lru_cache(maxsize=16)
def _run_policy(run_dir: str) -> Policy:
    snap = Path(run_dir) / SNAPSHOT / FILES["policy"]
    if snap.is_file():
        return load_policy(snap)
    manifest = Path(run_dir) / "manifest.json"          # runs published before snapshots recorded the policy here
    if manifest.is_file():
        recorded = json.loads(manifest.read_text(encoding="utf-8")).get("parameters", {}).get("policy")
        if recorded:
            return Policy.model_validate(recorded)
    raise ParameterError(f"运行目录中没有参数快照 (parameters_snapshot_missing)：{run_dir}")


def run_policy(run_dir) -> Policy:
    """The policy the run in `run_dir` was computed with (its snapshot), never today's file."""
    return _run_policy(str(Path(run_dir).resolve()))
