"""Every /video subcommand and flag is documented in `/video help` and in README.md,
and manifest.yml is what `dailies manifest` prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.request import SUBCOMMANDS
from bot.request.help import HELP_TEXT
from bot.tools.manifest import manifest_yaml

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FLAGS = [
    "--model",
    "-m",
    "--seconds",
    "--aspect",
    "--res",
    "--n",
    "--audio",
    "--no-audio",
    "--image",
    "--seed",
    "--negative",
    "--subject",
    "--end-image",
    "--video",
    "--motion",
    "--orient",
]
SUB_FORMS = [
    "subject add",
    "subject list",
    "subject show",
    "subject remove",
    "subject rename",
    "settings model",
    "settings final-model",
    "settings budget",
    "settings job-limit",
    "settings approvers",
    "settings approval",
]


@pytest.mark.parametrize("word", SUBCOMMANDS)
def test_subcommand_documented(word):
    assert f"`{word}" in HELP_TEXT or f" {word}" in HELP_TEXT
    assert f"`{word}" in README


@pytest.mark.parametrize("form", SUB_FORMS)
def test_subcommand_forms_documented(form):
    assert form in HELP_TEXT
    assert form in README


@pytest.mark.parametrize("flag", FLAGS)
def test_flag_documented(flag):
    assert flag in HELP_TEXT
    assert f"`{flag}" in README


def test_manifest_file_is_the_socket_mode_manifest():
    assert (ROOT / "manifest.yml").read_text(encoding="utf-8") == manifest_yaml()


def test_http_manifest_has_request_urls():
    text = manifest_yaml("https://dailies.example.com")
    assert text.count("https://dailies.example.com/slack/events") == 3
    assert "socket_mode_enabled: false" in text


def test_readme_gives_the_two_commands():
    assert 'pip install -e . && dailies try "' in README
    assert 'pip install -e ".[test]" && python -m pytest -q' in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest -q" in ci
