"""Repository rules: environment.yml in step with pyproject.toml, the README's two
set-up commands, stripped notebooks, nothing tracked under outputs/."""
from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"python-duckdb": "duckdb", "jupyter_client": "jupyter-client"}       # conda-forge name -> PyPI name


def _name_spec(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(.*)$", req)
    return m.group(1).lower(), m.group(3).replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    pip_side = dict(_name_spec(r) for r in project["dependencies"] + extras["sql"] + extras["dashboards"] + extras["test"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_side = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, spec = _name_spec(dep)
            if name not in ("python", "pip"):
                conda_side[CONDA_NAMES.get(name, name)] = spec
    assert conda_side == pip_side
    pip_block = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert "-e .[sql,dashboards,test]" in pip_block


def test_readme_opens_with_exactly_two_setup_commands_that_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```(?:bash|sh)\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]
    assert commands == ["make run", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def _tracked(pattern: str) -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files", pattern], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return [str(p.relative_to(ROOT)) for p in ROOT.glob(pattern)]
    return out.stdout.split()


def test_notebooks_are_committed_without_outputs():
    for path in _tracked("*.ipynb"):
        nb = json.loads((ROOT / path).read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs") and not cell.get("execution_count"), path


def test_nothing_under_outputs_is_tracked():
    tracked = [p for p in _tracked("outputs/*") if not p.endswith(("README.md", ".gitkeep"))]
    assert tracked == []


def _pins() -> dict[str, str]:
    from packaging.utils import canonicalize_name
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s;]+)", line)
        if m:
            pins[canonicalize_name(m.group(1))] = m.group(3)
    return pins


def test_the_lock_file_agrees_with_pyproject():
    """Every requirement of pyproject (core and the extras make installs) is pinned in
    requirements.lock at a version its specifier allows, extras' own packages included."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = project["dependencies"] + extras["sql"] + extras["dashboards"] + extras["test"]
    pins = _pins()
    problems = []
    for text in wanted:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        if name not in pins:
            problems.append(f"{req.name}: not in requirements.lock")
        elif not req.specifier.contains(pins[name], prereleases=True):
            problems.append(f"{req.name}: locked {pins[name]} but pyproject wants {req.specifier}")
        if "binary" in req.extras and canonicalize_name(f"{req.name}-binary") not in pins:   # psycopg[binary]
            problems.append(f"{req.name}[binary]: {req.name}-binary not in requirements.lock")
    assert not problems, "run `make lock` (see README): " + "; ".join(problems)
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet -r requirements.lock" in makefile and "--no-deps -e" in makefile
