"""The import contracts in pyproject.toml ([tool.importlinter]) hold: data flows one way through the
layers, no cycle hides inside a layer, providers never touch Slack or the database, bot.request stays
pure, PyAV/Pillow and Slack's SDK stay in their layers. And the contract is whole: every package and
module of the product sits in exactly one layer, so dropping a layer from the list fails here."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROOTS = ("bot", "handlers", "storage")


def contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def layer_names(contract: dict) -> list[str]:
    return [name.strip() for layer in contract["layers"] for name in layer.split("|")]


def flow() -> dict:
    (found,) = [c for c in contracts() if c["type"] == "layers"]
    return found


def product_modules() -> set[str]:
    """Each root package's direct children (modules and subpackages), dotted; the roots themselves
    when they are layers whole (handlers, storage)."""
    found = set()
    for child in (ROOT / "bot").iterdir():
        if child.name.startswith(("_", ".")) or child.name == "__pycache__":
            continue
        if child.is_dir() and (child / "__init__.py").exists():
            found.add(f"bot.{child.name}")
        elif child.suffix == ".py":
            found.add(f"bot.{child.stem}")
    return found | {"handlers", "storage"}


def uncovered(modules: set[str], layers: list[str]) -> set[str]:
    """Modules no layer names, itself, an ancestor or (for a package split across layers) each of
    its children."""

    def covered(module: str) -> bool:
        if any(module == layer or module.startswith(layer + ".") for layer in layers):
            return True
        children = [layer for layer in layers if layer.startswith(module + ".")]
        if not children:
            return False
        package = ROOT.joinpath(*module.split("."))
        names = {p.stem for p in package.iterdir() if p.suffix == ".py" and p.stem != "__init__"}
        names |= {p.name for p in package.iterdir() if (p / "__init__.py").exists()}
        return {f"{module}.{n}" for n in names} <= set(children)

    return {m for m in modules if not covered(m)}


def test_import_contracts_are_kept():
    script = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(script)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_every_package_of_the_product_sits_in_a_layer():
    assert uncovered(product_modules(), layer_names(flow())) == set()


@pytest.mark.parametrize("dropped", layer_names(flow()))
def test_dropping_any_layer_from_the_contract_is_caught(dropped):
    layers = [name for name in layer_names(flow()) if name != dropped]
    assert uncovered(product_modules(), layers), f"the contract reads the same without {dropped}"


def test_the_guard_contracts_name_what_they_guard():
    by_type: dict[str, list[dict]] = {}
    for contract in contracts():
        by_type.setdefault(contract["type"], []).append(contract)
    (acyclic,) = by_type["acyclic_siblings"]
    assert set(acyclic["ancestors"]) == set(ROOTS)
    forbidden = {frozenset(c["forbidden_modules"]): c for c in by_type["forbidden"]}
    media = forbidden[frozenset({"av", "PIL"})]
    assert set(media["source_modules"]) == set(ROOTS)
    edit_lists = forbidden[frozenset({"opentimelineio"})]
    assert set(edit_lists["source_modules"]) == set(ROOTS)
    assert edit_lists["ignore_imports"] == ["bot.media.** -> opentimelineio"]
    assert {"slack_sdk", "slack_bolt"} <= set().union(*map(set, forbidden))
