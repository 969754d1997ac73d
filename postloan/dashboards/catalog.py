"""What has been published: the allow-list every dashboard input is checked against."""
from __future__ import annotations

import json
from pathlib import Path

from postloan.paths import OUTPUTS_ENV, outputs_dir  # noqa: F401  (OUTPUTS_ENV re-exported)


def catalog(outputs: Path | None = None) -> dict:
    """{period: {product: {"run_dir", "scopes"}}}: for each period and product, the latest
    published run that holds it (manifest.json present, status published). A later run of
    one product does not hide an earlier run's other products."""
    outputs = Path(outputs or outputs_dir())
    found: dict = {}
    for manifest in sorted(outputs.glob("*/run-*/manifest.json")):       # run ids sort by time
        try:
            m = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if m.get("status") != "published":
            continue
        scopes: dict = {}
        for o in m.get("outputs", []):
            if o.get("kind") == "json" and o.get("product") != "marts":
                scopes.setdefault(o["product"], []).append(o["scope"])
        for product, s in scopes.items():
            found.setdefault(m["month"], {})[product] = {"run_dir": str(manifest.parent), "scopes": s}
    return dict(sorted(found.items(), reverse=True))


def published_files(run_dir: str, product: str, folder: str) -> list[tuple[str, str]]:
    """(name, label) of the HTML files a run published in `<product>/<folder>/` (case files)."""
    path = Path(run_dir) / product / folder
    return [(p.stem, p.stem) for p in sorted(path.glob("*.html"))] if path.is_dir() else []


def officer_options(run_dir: str, scope: str) -> list[tuple[str, str]]:
    """(officer_id, label) of the officers scored for `scope`, in the order of the figures."""
    path = Path(run_dir) / "scorecards" / f"{scope}.json"
    if not path.exists():
        return []
    return [(o["officer_id"], f"{o['name']}（{o['officer_id']}）")
            for o in json.loads(path.read_text(encoding="utf-8"))["officers"]]
