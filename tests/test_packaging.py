"""Packaging contracts: environment.yml mirrors pyproject, README opens with the two commands."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]

# pip name -> conda-forge name, where they differ; extras become their own packages (None: the
# conda-forge package of the same name already holds that extra).
_CONDA_NAME = {"duckdb": "python-duckdb"}
_EXTRA_PACKAGES = {("pulp", "highs"): "highspy", ("dask", "distributed"): "distributed", ("dask", "dataframe"): None}


def _pyproject_requirements() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for extra in meta.get("optional-dependencies", {}).values():
        reqs += extra
    out = {}
    for text in reqs:
        req = Requirement(text)
        name = req.name.lower()
        out[_CONDA_NAME.get(name, name)] = str(req.specifier)
        for extra in req.extras:
            if _EXTRA_PACKAGES[(name, extra)] is not None:
                out[_EXTRA_PACKAGES[(name, extra)]] = ""
    return out


def _conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for item in env["dependencies"]:
        if not isinstance(item, str) or item.split("=")[0].split(">")[0].split("<")[0] in ("python", "pip"):
            continue
        name, spec = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", item).groups()
        out[name.lower()] = str(Requirement(f"x{spec}").specifier)
    return out


def test_environment_yml_mirrors_pyproject():
    assert _conda_requirements() == _pyproject_requirements()


def test_readme_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    first_block = text.split("```")[1].strip().splitlines()
    commands = [line.split("#")[0].strip() for line in first_block[1:] if line.strip()]
    assert commands == ["make demo", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_sample_file_is_in_the_notice():
    notice = (ROOT / "data" / "samples" / "NOTICE.md").read_text()
    for path in (ROOT / "data" / "samples").rglob("*"):
        if path.is_file() and path.name != "NOTICE.md":
            assert path.name in notice, f"{path.name} is not listed in data/samples/NOTICE.md"


def test_dask_extra_brings_what_the_dask_engine_needs():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    reqs = {Requirement(r).name: Requirement(r) for r in extras["dask"]}
    assert reqs["dask"].extras == {"distributed", "dataframe"}
