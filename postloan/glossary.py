"""The one glossary: English codes to Chinese labels, loaded from glossary.yaml."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml


@lru_cache(maxsize=1)
def _load() -> dict:
    text = resources.files("postloan").joinpath("glossary.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def enum_labels(enum: str) -> dict[str, str]:
    """{code: Chinese label} of one enumeration, in the contract's order."""
    return dict(_load()["enums"][enum])


def enum_names() -> list[str]:
    return list(_load()["enums"])


def enum_input_map(enum: str) -> dict[str, str]:
    """Every accepted input spelling (code, label, alias) -> code."""
    mapping = {code: code for code in _load()["enums"][enum]}
    mapping.update({label: code for code, label in _load()["enums"][enum].items()})
    mapping.update(_load().get("aliases", {}).get(enum, {}) or {})
    return mapping


def table_label(table: str) -> str:
    return _load()["tables"].get(table, table)


def label(enum: str, code) -> str:
    """Chinese label of a code; the code itself when unknown or null."""
    if code is None:
        return ""
    return _load()["enums"][enum].get(code, str(code))


def term_labels(group: str) -> dict[str, str]:
    """{code: Chinese label} of one group of the suite's own codes (duties, deadline kinds, rules…)."""
    return dict(_load()["terms"][group])


def term(group: str, code) -> str:
    """Chinese label of one of the suite's own codes; the code itself when unknown."""
    if code is None:
        return ""
    return _load()["terms"][group].get(code, str(code))
