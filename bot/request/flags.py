"""Flags (`--model kling-v3`, `--seconds=8`, `—n 2`): which exist where, separating them from the
other words, and converting the ones requests and thread replies share."""

from __future__ import annotations

import difflib
import re
from typing import Any

from bot.outcomes import Refusal
from bot.request.catalogue import Catalogue, shipped_catalogue
from bot.request.lexer import Token
from bot.request.values import first_refusal, model_id, shorten, url, whole_number

_FLAG = re.compile(r"(--[A-Za-z][A-Za-z0-9-]*|-[A-Za-z])(=.*)?", re.DOTALL)
_SMART_DASH = re.compile(r"^[—–]([A-Za-z][A-Za-z0-9-]*)(=.*)?$", re.DOTALL)  # macOS turns -- into —
FLAG_ALIASES = {"-m": "--model", "--resolution": "--res", "--duration": "--seconds", "--takes": "--n"}
_EXAMPLES = {
    "--model": "--model kling-v3",
    "--seconds": "--seconds 8",
    "--aspect": "--aspect 9:16",
    "--res": "--res 1080p",
    "--n": "--n 2",
    "--image": "--image https://example.com/first-frame.png",
    "--seed": "--seed 42",
    "--negative": '--negative "blurry, text"',
    "--subject": "--subject maya",
    "--audio-url": "--audio-url https://example.com/line.mp3",
    "--end-image": "--end-image https://example.com/last-frame.png",
    "--video": "--video https://example.com/camera-move.mp4",
    "--motion": "--motion https://example.com/dance.mp4",
    "--orient": "--orient image",
}
_VALUE_FLAGS = frozenset(_EXAMPLES)
_SWITCHES = frozenset({"--audio", "--no-audio"})
VIDEO_FLAGS = frozenset(_VALUE_FLAGS - {"--audio-url"} | _SWITCHES)
REPLY_FLAGS = frozenset({"--model", "--seconds", "--audio", "--no-audio", "--image", "--n"})
AVATAR_FLAGS = frozenset({"--model", "--audio-url"})

Flags = dict[str, list[Token]]  # canonical --name -> its values (several only for --subject)


def _flag_name(token: Token) -> tuple[str, str | None] | None:
    """(canonical --name, inline value) when the token is a flag, else None."""
    if token.quoted:
        return None
    match = _FLAG.fullmatch(token.value)
    if match is None:
        smart = _SMART_DASH.match(token.value)
        if smart is None or f"--{smart.group(1).lower()}" not in _VALUE_FLAGS | _SWITCHES:
            return None
        match = smart
        name = f"--{smart.group(1)}"
    else:
        name = match.group(1)
    name = name.lower()
    inline = match.group(2)[1:] if match.group(2) is not None else None
    return FLAG_ALIASES.get(name, name), inline


def _unknown(name: str, allowed: frozenset[str], where: str) -> Refusal:
    close = difflib.get_close_matches(name[:40], sorted(allowed), n=1, cutoff=0.7)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    listed = ", ".join(sorted(allowed))
    return Refusal(
        f"I don't know the flag `{shorten(name, 30)}` {where}.{hint} Flags here: {listed}. See `/video help`."
    )


def split_flags(
    tokens: list[Token], allowed: frozenset[str], where: str
) -> tuple[Flags, list[Token]] | Refusal:
    """Separate flags (anywhere) from the other words; refuse unknown, valueless or repeated flags."""
    flags: Flags = {}
    words: list[Token] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        parsed = _flag_name(token)
        i += 1
        if parsed is None:
            words.append(token)
            continue
        name, inline = parsed
        if name not in allowed:
            return _unknown(name, allowed, where)
        if name in _SWITCHES:
            if inline is not None:
                return Refusal(f"{name} doesn't take a value: write --audio or --no-audio.")
            value = token
        elif inline is not None:
            value = Token(inline, inline, False)
        elif i < len(tokens) and _flag_name(tokens[i]) is None:
            value = tokens[i]
            i += 1
        else:
            return Refusal(f"{name} needs a value, e.g. {_EXAMPLES[name]}.")
        if name in flags and name != "--subject":
            return Refusal(f"{name} is given twice; keep one.")
        flags.setdefault(name, []).append(value)
    if "--audio" in flags and "--no-audio" in flags:
        return Refusal("Choose one of --audio or --no-audio, not both.")
    return flags, words


def _common_values(flags: Flags, catalogue: Catalogue | None) -> dict[str, Any] | Refusal:
    """Convert the flags shared by requests and replies: model, seconds, audio, image."""
    out: dict[str, Any] = {}
    catalogue = shipped_catalogue() if catalogue is None else catalogue
    if "--model" in flags:
        out["model"] = model_id(flags["--model"][0].value, catalogue)
    if "--seconds" in flags:
        out["seconds"] = whole_number(
            flags["--seconds"][0].value, "--seconds", 1, catalogue.max_seconds, r"s|secs?|seconds?"
        )
    if "--audio" in flags or "--no-audio" in flags:
        out["audio"] = "--audio" in flags
    if "--image" in flags:
        out["image_url"] = url(flags["--image"][0].value, "--image")
    refusal = first_refusal(out.values())
    return out if refusal is None else refusal


def parse_flags(
    tokens: list[Token], allowed: frozenset[str], where: str, catalogue: Catalogue | None = None
) -> tuple[Flags, list[Token], dict[str, Any]] | Refusal:
    """(flags, the other words, converted shared values) or the first refusal among them."""
    split = split_flags(tokens, allowed, where)
    if isinstance(split, Refusal):
        return split
    flags, words = split
    fields = _common_values(flags, catalogue)
    return fields if isinstance(fields, Refusal) else (flags, words, fields)
