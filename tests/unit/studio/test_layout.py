"""The studio's shape, checked over its source: features never import the Studio back (not even
under TYPE_CHECKING), their imports form no cycle, and no SQL or Slack Web API call lives here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

STUDIO = Path(__file__).resolve().parents[3] / "bot" / "studio"


def studio_imports(path: Path) -> set[str]:
    """Every bot.studio module `path` imports, wherever the import statement sits."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "bot.studio":
            found |= {f"bot.studio.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot.studio."):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("bot.studio.")}
    return found


def graph() -> dict[str, set[str]]:
    return {f"bot.studio.{p.stem}": studio_imports(p) for p in STUDIO.glob("*.py")}


def test_no_feature_imports_the_studio_back():
    importers = sorted(m for m, deps in graph().items() if "bot.studio.studio" in deps)
    assert importers == []


def test_the_studio_modules_import_each_other_without_a_cycle():
    edges = graph()
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module in done:
            return
        for dep in edges.get(module, ()):
            visit(dep, (*path, module))
        done.add(module)

    for module in edges:
        visit(module, ())


def test_no_sql_and_no_slack_web_api_call_in_the_studio():
    sql = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b|db\.(execute|query|atomic)\(")
    slack = re.compile(
        r"\.(chat_\w+|reactions_\w+|conversations_\w+|files_(info|\w+External)|views_\w+|api_call)\("
    )
    offenders = [
        f"{p.name}:{n}"
        for p in STUDIO.glob("*.py")
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if sql.search(line) or slack.search(line)
    ]
    assert offenders == []
