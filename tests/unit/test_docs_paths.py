"""The docs name real code: every repository path (`bot/runner/poller.py`, `tests/fakes/`) and every
dotted module (`bot.request.catalogue`) that README.md, docs/*.md or bench/*.md names exists in the tree,
so a page that still points at a moved module fails here instead of misleading a newcomer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "bench").glob("*.md"))]
TOP = ("bot", "handlers", "storage", "tests", "bench", "docs", ".ci")
# a path: one of the top folders, then path characters; a trailing `/` names a folder
PATH = re.compile(rf"(?<![\w./-])((?:{'|'.join(map(re.escape, TOP))})/[\w./-]*)")
MODULE = re.compile(r"(?<![\w./-])((?:bot|handlers|storage)(?:\.[a-z_][a-z0-9_]*)+)")


def named(page: Path) -> list[tuple[int, str]]:
    """(line, name) for each path or module the page names, in code spans and code blocks alike."""
    found = []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        for match in PATH.finditer(line):
            found.append((number, match.group(1).rstrip(".,;:)")))
        for match in MODULE.finditer(line):
            found.append((number, match.group(1)))
    return found


def exists(name: str) -> bool:
    if "/" in name:
        target = ROOT / name
        if name.endswith(("/", "*")) or "*" in name:
            return target.parent.exists() if "*" in name else target.is_dir()
        return target.exists() or target.with_suffix(".py").exists() or (ROOT / f"{name}.py").exists()
    parts = name.split(".")
    # `bot.request.catalogue.estimate_cost`: the longest prefix that is a module; an attribute after it
    for end in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:end])
        if base.with_suffix(".py").exists() or (base / "__init__.py").exists():
            return end >= len(parts) - 1
    return False


def tree(page: Path) -> list[tuple[int, str]]:
    """(line, path) for each entry of the page's code-block tree (`bot/` … `  request/` … `    lexer,
    values   what it is`): folders end in `/`, names below a folder are its modules or packages, and
    a line indented past the names is the previous entry's description going on."""
    found: list[tuple[int, str]] = []
    folders: list[tuple[int, str]] = []  # (indent, path) of the enclosing folders
    inside = carried = False
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            inside, folders = not inside, []
            continue
        indent = len(line) - len(line.lstrip(" "))
        if not inside or not line.strip() or (indent >= 12 and not carried):
            continue
        head = re.split(r"\s{2,}", line.strip())[0]
        if head.endswith("/") and re.fullmatch(r"[\w.]+/", head):
            while folders and folders[-1][0] >= indent:
                folders.pop()
            if not folders and head.rstrip("/") not in TOP:
                continue
            path = (folders[-1][1] if folders else "") + head
            folders.append((indent, path))
            found.append((number, path))
            carried = False
            continue
        while folders and folders[-1][0] >= indent and not carried:
            folders.pop()
        if not folders or not re.fullmatch(r"[\w, ]+,?", head):
            carried = False
            continue
        for name in filter(None, (n.strip() for n in head.split(","))):
            found.append((number, folders[-1][1] + name))
        carried = head.endswith(",")
    return found


CASES = [(page, line, name) for page in PAGES for line, name in named(page) + tree(page)]


def test_the_pages_name_code_at_all():
    assert len(CASES) > 50


@pytest.mark.parametrize(
    ("page", "line", "name"), CASES, ids=[f"{p.name}:{n}:{name}" for p, n, name in CASES]
)
def test_named_path_exists(page, line, name):
    assert exists(name), f"{page.relative_to(ROOT)} line {line} names {name}, which is not in the tree"
