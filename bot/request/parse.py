"""`parse_command`: the text typed after `/video` (or the bot's mention) -> a subcommand, a video
request, or a Refusal."""

from __future__ import annotations

from bot.outcomes import Refusal
from bot.request import help as help_text
from bot.request.catalogue import Catalogue
from bot.request.commands import Command
from bot.request.lexer import clean_input, lex
from bot.request.settings import settings
from bot.request.subcommands import SUBCOMMAND_PARSERS, avatar, subject
from bot.request.video import video_request


def parse_command(
    text: str, *, has_attachment: bool = False, has_audio: bool = False, catalogue: Catalogue | None = None
) -> Command | Refusal:
    """Parse the text typed after `/video` (or after the bot's mention). The first word is a
    subcommand when it is one of SUBCOMMANDS (unquoted); otherwise the text is a video request.
    An explicit --model is checked here; `has_attachment`: an image came with a mention;
    `has_audio`: an audio file did (an avatar's speech); `catalogue`: the models known here (the
    shipped ones when not given)."""
    cleaned = clean_input(text)
    if isinstance(cleaned, Refusal):
        return cleaned
    tokens = lex(cleaned)
    if isinstance(tokens, Refusal):
        return tokens
    if not tokens:
        return Refusal(help_text.usage_hint())
    head = tokens[0]
    word = head.value.lower()
    if head.quoted or word not in SUBCOMMAND_PARSERS:
        return video_request(tokens, has_attachment, catalogue)
    if word == "subject":  # images attached to a mention may stand in for URLs
        return subject(tokens[1:], has_attachment=has_attachment)
    if word == "avatar":
        return avatar(tokens[1:], has_audio=has_audio, catalogue=catalogue)
    if word == "settings":
        return settings(tokens[1:], catalogue)
    return SUBCOMMAND_PARSERS[word](tokens[1:])
