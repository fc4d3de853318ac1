"""`parse_reply`: a reply in a job's thread -> a ThreadInstruction (edit, again, extend, final,
lipsync, save as subject) or a Refusal."""

from __future__ import annotations

import re

from bot.outcomes import Refusal
from bot.request.catalogue import Catalogue
from bot.request.commands import MAX_PROMPT, MAX_TAKES, ThreadInstruction
from bot.request.flags import REPLY_FLAGS, parse_flags
from bot.request.lexer import Token, clean_input, lex, words
from bot.request.lipsync import LIPSYNC_WORDS, parse_lipsync
from bot.request.plain_requests import read_plain
from bot.request.values import subject_name, whole_number

_VERSION = re.compile(r"v(\d{1,4})\s*[:,]\s*", re.IGNORECASE)
_SAVE = re.compile(r"save (?:it |this )?as (?:a )?subject (.+)|save subject (.+)")
_AGAIN = ("again", "another", "another take", "one more", "one more take", "retry")
_FINAL = ("final", "final render", "render final")


def _kind(rest: list[Token], has_flags: bool) -> tuple[str, list[Token]]:
    """(kind, the instruction's words) for every kind but save_subject."""
    plain = " ".join(t.value.lower() for t in rest).strip(" .!?")
    if plain in _AGAIN or (not plain and has_flags):
        return "again", []
    if plain in _FINAL:
        return "final", []
    if rest and rest[0].value.lower() == "extend":
        return "extend", rest[1:]
    if len(rest) >= 2 and rest[0].value.lower() == "next" and rest[1].value.lower().strip(":,") == "shot":
        return "extend", rest[2:]
    return "edit", rest


def _lipsync_words(tokens: list[Token]) -> int:
    """How many leading words say "lipsync" ("lipsync", "lip-sync", "lip sync"); 0 when none do."""
    first = [t.value.lower().strip(":,") for t in tokens[:2] if not t.quoted]
    if first[:1] and first[0] in LIPSYNC_WORDS:
        return 1
    return 2 if first[:2] == ["lip", "sync"] else 0


def parse_reply(text: str, *, catalogue: Catalogue | None = None) -> ThreadInstruction | Refusal:
    """A reply in a job's thread: "again" / "another take", "extend …" / "next shot …", "final",
        `lipsync "line"`, "save as subject NAME", "v2: …" (which take), a plain request (`vertical`, `10s version`, `3 more`: a re-render,
    `bot.request.plain_requests`), anything else is an edit.
        Flags: REPLY_FLAGS (a lipsync takes `--audio-url` only)."""
    cleaned = clean_input(text)
    if isinstance(cleaned, Refusal):
        return cleaned
    cleaned = cleaned.strip()
    version = None
    if match := _VERSION.match(cleaned):
        version = int(match.group(1))
        cleaned = cleaned[match.end() :]
    tokens = lex(cleaned)
    if isinstance(tokens, Refusal):
        return tokens
    if lipsync := _lipsync_words(tokens):
        return parse_lipsync(tokens[lipsync:], version)
    parsed = parse_flags(tokens, REPLY_FLAGS, "in a thread reply", catalogue)
    if isinstance(parsed, Refusal):
        return parsed
    flags, rest, fields = parsed
    if "--n" in flags:
        fields["takes"] = whole_number(flags["--n"][0].value, "--n", 1, MAX_TAKES)
        if isinstance(fields["takes"], Refusal):
            return fields["takes"]
    kind, rest = _kind(rest, bool(fields))
    plain = " ".join(t.value.lower() for t in rest).strip(" .!?")
    if kind == "edit" and (save := _SAVE.fullmatch(plain)):
        name = subject_name(save.group(1) or save.group(2))
        if isinstance(name, Refusal):
            return name
        return ThreadInstruction("save_subject", name, version, **fields)
    if kind == "edit" and (asked := read_plain(plain)):
        # a new render of the version in other words, not an edit: `vertical`, `10s version`, `3 more`
        if asked.takes > MAX_TAKES:
            return Refusal(
                f"A reply makes at most {MAX_TAKES} more takes at once; you asked for {asked.takes}."
            )
        fields.setdefault("seconds", asked.seconds)
        fields.setdefault("takes", asked.takes)
        return ThreadInstruction("again", "", version, aspect=asked.aspect, reading=asked.reading, **fields)
    instruction = words(rest) if rest else ""
    if isinstance(instruction, Refusal):
        return instruction
    if kind == "edit" and not instruction:
        return Refusal(
            "Reply with what to change (e.g. `warmer light, slower camera`), or `again`, `extend …`, "
            '`final`, `lipsync "line"`, `save as subject NAME`.'
        )
    if len(instruction) > MAX_PROMPT:
        return Refusal(
            f"That instruction is {len(instruction):,} characters; models take at most {MAX_PROMPT:,}."
        )
    return ThreadInstruction(kind, instruction, version, **fields)
