"""Are two published runs the same month's same figures? Compares every figures JSON and
every mart table (Parquet) that both runs hold, product by product and scope by scope, and
prints what differs. Used before and after a change meant only to make the run faster.

    python benchmarks/compare_runs.py outputs/2026-10/run-A outputs/2026-10/run-B [--tolerance 0]

Exit code 0 when identical (within the tolerance, relative, for floats), 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import pandas as pd


def differences(a, b, tol: float, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in differences(a.get(k), b.get(k), tol, f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [d for k, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, tol, f"{path}[{k}]")]
    if isinstance(a, float) and isinstance(b, float):
        same = a == b or (math.isnan(a) and math.isnan(b)) or (tol and math.isclose(a, b, rel_tol=tol, abs_tol=tol))
        return [] if same else [f"{path}: {a!r} != {b!r}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--tolerance", type=float, default=0.0, help="relative tolerance for floats (default 0: exact)")
    args = ap.parse_args()
    found, compared = [], 0
    for old in sorted(args.before.glob("*/*.json")):
        if old.parent.name == "marts":
            continue
        new = args.after / old.relative_to(args.before)
        if not new.exists():
            found.append(f"{old.relative_to(args.before)}: missing in {args.after}")
            continue
        compared += 1
        d = differences(json.loads(old.read_text(encoding="utf-8")), json.loads(new.read_text(encoding="utf-8")),
                        args.tolerance)
        found += [f"{old.relative_to(args.before)} {x}" for x in d]
    tables = 0
    for old in sorted(args.before.glob("marts/*/*.parquet")):
        new = args.after / old.relative_to(args.before)
        if not new.exists():
            found.append(f"{old.relative_to(args.before)}: missing in {args.after}")
            continue
        tables += 1
        a, b = pd.read_parquet(old), pd.read_parquet(new)
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=not args.tolerance, rtol=args.tolerance or 1e-5)
        except AssertionError as exc:
            found.append(f"{old.relative_to(args.before)}: {str(exc).splitlines()[0]}")
    print(f"compared {compared} figures files and {tables} mart tables: "
          f"{'identical' if not found else f'{len(found)} differences'}")
    for line in found[:50]:
        print("  " + line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
