"""Capabilities, not names: outside bot/providers/ (and the catalogue, which is data) no code asks
which backend it has; it asks the provider (`provider.free`, `provider.sends_callbacks`, ...)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAME_CHECK = re.compile(r'backend ==|backend in|"kling"|"preview"')
ALLOWED = ("bot/providers/", "bot/request/catalogue.py")


def test_no_backend_name_checks_outside_the_providers():
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted((ROOT / "bot").rglob("*.py"))
        if not str(path.relative_to(ROOT)).startswith(ALLOWED)
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if NAME_CHECK.search(line)
    ]
    assert found == []
