"""`/video help|models|jobs|cancel|subject|avatar|spend|audit …`: the subcommands other than
settings, each parsed from the words after its name."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.outcomes import Refusal
from bot.request import help as help_text
from bot.request.catalogue import Catalogue, shipped_catalogue
from bot.request.commands import (
    MAX_DESCRIPTION,
    MAX_SCRIPT,
    Audit,
    Avatar,
    CampaignForm,
    Cancel,
    Command,
    Help,
    Jobs,
    Models,
    Spend,
    SubjectAdd,
    SubjectConsent,
    SubjectList,
    SubjectRemove,
    SubjectRename,
    SubjectShow,
    SubjectVoice,
)
from bot.request.flags import AVATAR_FLAGS, split_flags
from bot.request.lexer import Token, words
from bot.request.settings import settings
from bot.request.values import model_id, subject_name, subject_names, url

_SUBJECT_USAGE = {
    "add": "/video subject add NAME IMAGE_URL… [-- description]",
    "show": "/video subject show NAME",
    "remove": "/video subject remove NAME",
    "rename": "/video subject rename OLD NEW",
    "list": "/video subject list",
    "voice": "/video subject voice NAME AUDIO_URL` (or attach a 5 to 30 s sample to `/video subject voice NAME",
    "consent": "/video subject consent NAME [note]` (or `/video subject consent NAME --withdraw",
}
SUBJECT_ACTIONS = tuple(_SUBJECT_USAGE)
_AVATAR_USAGE = '/video avatar {subject} "what they say"` or `/video avatar {subject} --audio-url URL'


def _shape(word: str, usage: str) -> Refusal:
    return Refusal(
        f"`/video {word}` is written `{usage}`. For a video whose prompt starts with “{word}”, put the "
        f'prompt in quotes: `/video "{word} …"`.'
    )


def _no_args(word: str, command: Command) -> Callable[[list[Token]], Command | Refusal]:
    return lambda rest: _shape(word, f"/video {word}") if rest else command


def _help(rest: list[Token]) -> Help | Refusal:
    if not rest:
        return Help()
    topic = rest[0].value.strip().lower().strip("{}").lstrip("-—–")
    if len(rest) == 1 and topic in help_text.HELP_TOPICS:
        return Help(topic)
    shape = _shape("help", "/video help [TOPIC]")
    if len(rest) > 1:
        return shape
    topics = ", ".join(help_text.SECTIONS)
    return Refusal(f"There's no help topic `{topic[:30]}` (try {topics}). {shape.message}")


def _cancel(rest: list[Token]) -> Cancel | Refusal:
    job = rest[0].value.strip().removeprefix("#") if len(rest) == 1 else ""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", job):
        return _shape("cancel", "/video cancel JOB (the job id shown on its card)")
    return Cancel(job)


def subject(rest: list[Token], *, has_attachment: bool = False) -> Command | Refusal:
    """`/video subject add|list|show|remove|rename|voice …`; attached images (a voice: an attached
    audio file) may stand in for URLs."""
    verb = rest[0].value.lower() if rest else "list"
    args = rest[1:]
    verb = {"ls": "list", "rm": "remove", "delete": "remove"}.get(verb, verb)
    if verb not in _SUBJECT_USAGE:
        return _shape("subject", "/video subject add|list|show|remove|rename|voice|consent …")
    if verb == "list":
        return _shape("subject", _SUBJECT_USAGE[verb]) if args else SubjectList()
    if verb == "add":
        return _subject_add(args, _SUBJECT_USAGE[verb], has_attachment)
    if verb == "voice":
        return _subject_voice(args, _SUBJECT_USAGE[verb])
    if verb == "consent":
        return _subject_consent(args, _SUBJECT_USAGE[verb])
    expected = 2 if verb == "rename" else 1
    if len(args) != expected:
        return _shape("subject", _SUBJECT_USAGE[verb])
    names = subject_names(a.value for a in args)
    if isinstance(names, Refusal):
        return names
    if verb == "rename":
        return SubjectRename(*names)
    return SubjectShow(names[0]) if verb == "show" else SubjectRemove(names[0])


def _subject_add(args: list[Token], usage: str, has_attachment: bool = False) -> SubjectAdd | Refusal:
    cut = next((i for i, t in enumerate(args) if not t.quoted and t.value in ("--", "—", "–")), len(args))
    head, tail = args[:cut], args[cut + 1 :]
    if len(head) < (1 if has_attachment else 2):
        return _shape("subject", usage)
    name = subject_name(head[0].value)
    if isinstance(name, Refusal):
        return name
    urls: list[str] = []
    for token in head[1:]:
        address = url(token.value, f"`subject add {name}`")
        if isinstance(address, Refusal):
            return Refusal(
                f"{address.message} Put a description after `--`: "
                f"`/video subject add {name} https://…/{name}.png -- red coat, short grey hair`"
            )
        urls.append(address)
    if len(urls) > 4:
        return Refusal(f"A subject takes 1 to 4 images (the first is the front view); you gave {len(urls)}.")
    description = words(tail) if tail else ""
    if isinstance(description, Refusal):
        return description
    if len(description) > MAX_DESCRIPTION:
        return Refusal(f"Keep the description under {MAX_DESCRIPTION} characters; it has {len(description)}.")
    return SubjectAdd(name, tuple(dict.fromkeys(urls)), description)


def _subject_voice(args: list[Token], usage: str) -> SubjectVoice | Refusal:
    if len(args) not in (1, 2):
        return _shape("subject", usage)
    name = subject_name(args[0].value)
    if isinstance(name, Refusal):
        return name
    sample = url(args[1].value, f"`subject voice {name}`") if len(args) == 2 else None
    return sample if isinstance(sample, Refusal) else SubjectVoice(name, sample)


_WITHDRAW = ("--withdraw", "—withdraw", "–withdraw")


def _subject_consent(args: list[Token], usage: str) -> SubjectConsent | Refusal:
    """NAME, then a free-text note (quoted or not), or `--withdraw` alone."""
    if not args:
        return _shape("subject", usage)
    name = subject_name(args[0].value)
    if isinstance(name, Refusal):
        return name
    rest = args[1:]
    withdraw = [t for t in rest if not t.quoted and t.value.lower() in _WITHDRAW]
    if withdraw:
        if len(rest) > 1:
            return Refusal(f"Withdrawing takes no note: `/video subject consent {name} --withdraw`.")
        return SubjectConsent(name, withdraw=True)
    flag = next((t for t in rest if not t.quoted and t.value.startswith(("--", "—", "–"))), None)
    if flag is not None:
        return Refusal(
            f"`subject consent` knows only `--withdraw`, not `{flag.value[:30]}`; put a note that "
            f'starts with dashes in quotes: `/video subject consent {name} "signed release 2026-11"`.'
        )
    note = words(rest) if rest else ""
    if isinstance(note, Refusal):
        return Refusal(
            "Keep the consent note to plain words (no @mentions or #channels): `/video subject consent NAME [note]`."
        )
    if len(note) > MAX_DESCRIPTION:
        return Refusal(f"Keep the consent note under {MAX_DESCRIPTION} characters; it has {len(note)}.")
    return SubjectConsent(name, note)


def avatar(
    rest: list[Token], *, has_audio: bool = False, catalogue: Catalogue | None = None
) -> Avatar | Refusal:
    """`/video avatar {subject} "script"` or `--audio-url URL`; an attached audio file may speak."""
    catalogue = shipped_catalogue() if catalogue is None else catalogue
    split = split_flags(rest, AVATAR_FLAGS, "in `/video avatar`")
    if isinstance(split, Refusal):
        return split
    flags, spoken = split
    if not spoken:
        return _shape("avatar", _AVATAR_USAGE)
    name = subject_name(spoken[0].value)
    if isinstance(name, Refusal):
        return name
    model = model_id(flags["--model"][0].value, catalogue) if "--model" in flags else None
    if isinstance(model, str) and "script" not in catalogue[model].inputs:
        avatars = ", ".join(m.id for m in catalogue.values() if "script" in m.inputs)
        model = Refusal(f"{model} doesn't make talking avatars; use {avatars}.")
    audio_url = url(flags["--audio-url"][0].value, "--audio-url") if "--audio-url" in flags else None
    script = (words(spoken[1:]) or None) if len(spoken) > 1 else None
    # the first refusal, in this order (each test narrows its value for what follows)
    if isinstance(model, Refusal):
        return model
    if isinstance(audio_url, Refusal):
        return audio_url
    if isinstance(script, Refusal):
        return script
    if script is not None and audio_url is not None:
        return Refusal(f"Give the avatar either a script or an audio file, not both: `{_AVATAR_USAGE}`.")
    if script is None and audio_url is None and not has_audio:  # an attached audio file speaks
        return Refusal(
            f"Give the avatar either a script or an audio file (attach it when you mention me): `{_AVATAR_USAGE}`."
        )
    if script is not None and len(script) > MAX_SCRIPT:
        return Refusal(
            f"An avatar script can be at most {MAX_SCRIPT:,} characters; this one is {len(script):,}."
        )
    return Avatar(name, script, audio_url, model)


SUBCOMMAND_PARSERS: dict[str, Callable[[list[Token]], Command | Refusal]] = {
    "help": _help,
    "models": _no_args("models", Models()),
    "jobs": _no_args("jobs", Jobs()),
    "cancel": _cancel,
    "subject": subject,
    "settings": settings,
    "avatar": avatar,
    "spend": _no_args("spend", Spend()),
    "audit": _no_args("audit", Audit()),
    "campaign": _no_args("campaign", CampaignForm()),
}
SUBCOMMANDS = tuple(SUBCOMMAND_PARSERS)
