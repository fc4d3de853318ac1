"""The import contracts in pyproject.toml ([tool.importlinter]) hold: data flows one way through the
layers, providers never touch Slack or the database, and bot.request stays pure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept():
    script = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(script)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_every_layer_of_the_flow_is_named_in_the_contract():
    text = (ROOT / "pyproject.toml").read_text()
    for layer in (
        "handlers",
        "bot.studio",
        "bot.runner",
        "bot.delivery",
        "bot.cards",
        "storage",
        "bot.providers",
        "bot.media",
        "bot.request",
        "bot.outcomes",
    ):
        assert f'"{layer}' in text, layer
