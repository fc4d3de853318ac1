"""The runner's, delivery's and providers' place in the layers, read from the source (every import,
also those behind TYPE_CHECKING or inside a function): delivery never reaches back into the runner,
the runner into the studio, nor a provider into Slack, storage or anything above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def imports_of(package: str) -> dict[str, set[str]]:
    """Module path -> every module it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package.replace(".", "/")).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("bot.delivery", ("bot.runner", "bot.studio", "handlers")),
        ("bot.runner", ("bot.studio", "handlers")),
        (
            "bot.providers",
            ("slack_sdk", "slack_bolt", "storage", "bot.cards", "bot.delivery", "bot.runner", "bot.studio"),
        ),
    ],
)
def test_layers_point_one_way(package, forbidden):
    wrong = {
        module: sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))
        for module, names in imports_of(package).items()
    }
    assert {m: n for m, n in wrong.items() if n} == {}
