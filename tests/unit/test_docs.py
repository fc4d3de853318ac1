"""Every /video subcommand, flag and alias the grammar knows is documented in `/video help` and in
README.md (the sets come from the grammar itself), and manifest.yml is what `dailies manifest` prints."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from bot.request import (
    AVATAR_FLAGS,
    FLAG_ALIASES,
    REPLY_FLAGS,
    SETTINGS_ALIASES,
    SETTINGS_KEYS,
    SUBCOMMANDS,
    SUBJECT_ACTIONS,
    VIDEO_FLAGS,
)
from bot.request.help import HELP_TEXT, HELP_TOPICS, SECTIONS
from bot.tools.manifest import manifest_yaml

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
README_SETTINGS = "\n".join(line for line in README.splitlines() if "`settings" in line)
FLAGS = sorted(VIDEO_FLAGS | REPLY_FLAGS | AVATAR_FLAGS | set(FLAG_ALIASES))


def mentions(text: str, word: str) -> bool:
    """`word` as a whole word (a flag, or a subcommand's own word), not inside a longer one."""
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def test_the_grammar_exports_what_the_docs_are_checked_against():
    assert {"--audio-url", "--model", "--no-audio"} <= set(FLAGS) and "-m" in FLAG_ALIASES
    assert {"help", "subject", "settings", "avatar"} <= set(SUBCOMMANDS)
    assert {"add", "rename"} <= set(SUBJECT_ACTIONS) and "job-limit" in SETTINGS_KEYS


@pytest.mark.parametrize("flag", FLAGS)
def test_flag_documented(flag):
    assert mentions(HELP_TEXT, flag), f"{flag} is not in /video help"
    assert mentions(README, f"`{flag}") or re.search(rf"`[^`\n]*{re.escape(flag)}(?![\w-])", README)
    assert flag.lstrip("-") in HELP_TOPICS, f"/video help {flag.lstrip('-')} answers nothing"


@pytest.mark.parametrize("word", SUBCOMMANDS)
def test_subcommand_documented(word):
    assert mentions(HELP_TEXT, word) and f"`{word}" in README
    assert word in HELP_TOPICS


@pytest.mark.parametrize("action", SUBJECT_ACTIONS)
def test_subject_action_documented(action):
    assert f"subject {action}" in HELP_TEXT and f"subject {action}" in README


@pytest.mark.parametrize("key", SETTINGS_KEYS)
def test_settings_key_documented(key):
    assert f"settings {key}" in HELP_TEXT and f"settings {key}" in README
    assert key in HELP_TOPICS or key == "model"


@pytest.mark.parametrize("alias", SETTINGS_ALIASES)
def test_settings_alias_documented(alias):
    assert f"`{alias}`" in SECTIONS["settings"], f"settings alias {alias} is not in /video help settings"
    assert f"`{alias}`" in README_SETTINGS, f"settings alias {alias} is not in README's settings rows"


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


OUTSIDE = re.compile(
    r"\.\./shared|\b(?:providers|slack)(?:-\d{4}-\d{2})?\.md\b|\bCONTRACT(?:\.md)? ?§|STYLE\.md|\[SRC:"
)
HISTORY = re.compile(
    r"\b(?:before|after|since) the split\b|\bas before\b|\bused to live\b|\bold import path", re.I
)


def _comments(path: Path) -> list[tuple[int, str]]:
    """Every comment and docstring of a module, with its line."""
    source = path.read_text(encoding="utf-8")
    found = [
        (tok.start[0], tok.string)
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.COMMENT
    ]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                found.append((node.body[0].lineno, doc))
    return found


def test_comments_point_inside_the_repository_and_do_not_narrate_history():
    files = [
        p for top in ("bot", "handlers", "storage", "tests", "bench") for p in (ROOT / top).rglob("*.py")
    ]
    bad = [
        f"{path.relative_to(ROOT)}:{line}: {text.strip()[:90]}"
        for path in files
        for line, text in _comments(path)
        if OUTSIDE.search(text) or HISTORY.search(text)
    ]
    assert bad == []


def test_consent_and_its_withdrawal_are_documented():
    for text in ("subject consent NAME [note]", "subject consent NAME --withdraw"):
        assert text in HELP_TEXT and text in README, text
    assert "consent is a record" in README.lower()  # what it does not guarantee
