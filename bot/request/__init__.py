"""The `/video` grammar: text as typed after `/video` (or a thread reply) -> a command value or a
`Refusal` written for the user. Pure functions; the rules are documented in `bot.request.help`."""

from bot.outcomes import Refusal
from bot.request.commands import (
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
    SubjectConsent,
    SubjectList,
    SubjectRemove,
    SubjectRename,
    SubjectShow,
    SubjectVoice,
    ThreadInstruction,
    VideoRequest,
)
from bot.request.flags import AVATAR_FLAGS, FLAG_ALIASES, REPLY_FLAGS, VIDEO_FLAGS
from bot.request.lexer import tokenize
from bot.request.parse import parse_command
from bot.request.replies import parse_reply
from bot.request.settings import SETTINGS_ALIASES, SETTINGS_KEYS
from bot.request.subcommands import SUBCOMMANDS, SUBJECT_ACTIONS

__all__ = [
    "Audit", "Avatar", "Cancel", "Command", "Help", "Jobs", "Models", "Refusal", "SettingsSet",
    "SettingsShow", "Spend", "SubjectAdd", "SubjectConsent", "SubjectList", "SubjectRemove", "SubjectRename",
    "SubjectShow", "SubjectVoice", "ThreadInstruction", "VideoRequest", "parse_command", "parse_reply", "tokenize",
    "MAX_PROMPT", "SUBCOMMANDS", "SUBJECT_ACTIONS", "SETTINGS_KEYS", "SETTINGS_ALIASES", "VIDEO_FLAGS",
    "REPLY_FLAGS", "AVATAR_FLAGS", "FLAG_ALIASES",
]  # fmt: skip
