"""Cleaning and splitting typed text: control characters, quotes, and Slack's escaped references
(links, mentions) kept whole as one word."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.outcomes import Refusal
from bot.request.commands import MAX_INPUT, MAX_PROMPT

_DOUBLE_QUOTES = '"“”„'
_SINGLE_QUOTES = "'‘’"
# Slack's escaped references: <https://x|label>, <@U123|name>, <#C123|name>, <!here>, <mailto:...>
SLACK_REF = re.compile(r"<([@#!][^<>\s|]*|[A-Za-z][A-Za-z0-9+.-]*:[^<>\s|]+)(?:\|([^<>]*))?>")

_TOO_LONG = Refusal(f"That's too long: prompts can be at most {MAX_PROMPT:,} characters.")
_UNCLOSED = Refusal(
    'There\'s a quote mark without its closing partner. Close it (`--negative "blurry, dark"`) or remove it.'
)
_MENTION_REFUSAL = Refusal(
    "Prompts can't contain @mentions, #channels or @here: the video model can't see who or what "
    "they are. Describe the person or place instead, or save a person as a subject "
    "(`/video subject add NAME IMAGE_URL`) and write `{NAME}`."
)


@dataclass(frozen=True)
class Token:
    value: str  # quotes removed, Slack references kept as sent
    raw: str  # as typed, quotes kept
    quoted: bool  # began with a quote: never a flag or a command word


def clean(text: str) -> str:
    """NFC; control characters and line breaks become spaces; invisible format characters go,
    except the joiner and tags inside emoji sequences (so family and flag emoji survive)."""
    out: list[str] = []
    text = unicodedata.normalize("NFC", text)
    for i, ch in enumerate(text):
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Zl", "Zp"):
            out.append(" ")
        elif cat == "Cf":
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if ch == "\u200d" and nxt and unicodedata.category(nxt) == "So":
                out.append(ch)
            elif "\U000e0020" <= ch <= "\U000e007f":
                out.append(ch)
        elif cat not in ("Cs", "Co", "Cn"):
            out.append(ch)
    return "".join(out)


def clean_input(text: str) -> str | Refusal:
    """Typed text, cleaned; text over MAX_INPUT characters is refused before any other work."""
    return _TOO_LONG if len(text) > MAX_INPUT else clean(text)


def _closing_single(text: str, start: int) -> int:
    """A single quote closes only before space, end or punctuation, so "dog's" stays one word."""
    for j in range(start, len(text)):
        if text[j] in _SINGLE_QUOTES and (j + 1 == len(text) or text[j + 1] in " .,;:!?)"):
            return j
    return -1


def lex(text: str) -> list[Token] | Refusal:
    """Cleaned text -> tokens; an unclosed double quote is refused."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    unclosed_from = n  # no closing single quote after here: stops rescans (quadratic on ' ' ' …)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start, parts, quoted = i, [], False
        while i < n and not text[i].isspace():
            ch = text[i]
            if ch == "<" and (ref := SLACK_REF.match(text, i)):
                parts.append(ref.group(0))
                i = ref.end()
            elif ch in _DOUBLE_QUOTES:
                end = next((j for j in range(i + 1, n) if text[j] in _DOUBLE_QUOTES), -1)
                if end < 0:
                    return _UNCLOSED
                quoted = quoted or i == start
                parts.append(text[i + 1 : end])
                i = end + 1
            elif (
                ch in _SINGLE_QUOTES
                and (i == start or text[i - 1] == "=")
                and i < unclosed_from
                and (end := _closing_single(text, i + 1)) >= 0
            ):
                quoted = quoted or i == start
                parts.append(text[i + 1 : end])
                i = end + 1
            else:
                if ch in _SINGLE_QUOTES and (i == start or text[i - 1] == "="):
                    unclosed_from = min(unclosed_from, i)
                parts.append(ch)
                i += 1
        tokens.append(Token("".join(parts), text[start:i], quoted))
    return tokens


def tokenize(text: str) -> list[str] | Refusal:
    """Shell-like words: "..." '...' “...” ‘...’ group words and are removed; a Slack reference
    such as <https://x|a label> stays one word; an unclosed double quote is refused."""
    tokens = lex(clean(text))
    return tokens if isinstance(tokens, Refusal) else [t.value for t in tokens]


def unescape(text: str) -> str:
    """Undo Slack's &lt; &gt; &amp; escaping."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def readable(text: str) -> str | Refusal:
    """Prompt text as a person reads it: links become their label (or address), Slack's &lt; &gt;
    &amp; are undone; mentions are refused rather than sent to a provider as opaque ids."""
    if any(m.group(1)[0] in "@#!" for m in SLACK_REF.finditer(text)):
        return _MENTION_REFUSAL
    linked = SLACK_REF.sub(lambda m: m.group(2) or m.group(1), text)
    return unescape(linked)


def words(tokens: list[Token]) -> str | Refusal:
    """Join prompt words; a prompt that is one quoted phrase loses its outer quotes."""
    text = tokens[0].value if len(tokens) == 1 and tokens[0].quoted else " ".join(t.raw for t in tokens)
    read = readable(text)
    return read if isinstance(read, Refusal) else " ".join(read.split())
