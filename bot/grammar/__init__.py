"""The `/video` grammar: text as typed after `/video` (or a thread reply) -> a command value or a
`Refusal` written for the user. Pure functions; the rules are documented in `bot.help`."""

from bot.catalogue import Refusal
from bot.grammar.command import parse_command
from bot.grammar.commands import (
    MAX_PROMPT,
    Audit,
    Avatar,
    Cancel,
    Command,
    Help,
    Jobs,
    Models,
    SettingsSet,
    SettingsShow,
    Spend,
    SubjectAdd,
    SubjectList,
    SubjectRemove,
    SubjectRename,
    SubjectShow,
    ThreadInstruction,
    VideoRequest,
)
from bot.grammar.flags import AVATAR_FLAGS, REPLY_FLAGS, VIDEO_FLAGS
from bot.grammar.lexer import tokenize
from bot.grammar.replies import parse_reply
from bot.grammar.settings import SETTINGS_KEYS
from bot.grammar.subcommands import SUBCOMMANDS

__all__ = [
    "Audit", "Avatar", "Cancel", "Command", "Help", "Jobs", "Models", "Refusal", "SettingsSet",
    "SettingsShow", "Spend", "SubjectAdd", "SubjectList", "SubjectRemove", "SubjectRename",
    "SubjectShow", "ThreadInstruction", "VideoRequest", "parse_command", "parse_reply", "tokenize",
    "MAX_PROMPT", "SUBCOMMANDS", "SETTINGS_KEYS", "VIDEO_FLAGS", "REPLY_FLAGS", "AVATAR_FLAGS",
]  # fmt: skip
