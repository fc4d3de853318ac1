"""The `/video` grammar: text as typed after `/video` (or a thread reply) -> a command value or a
`Refusal` written for the user. Pure functions; the rules are documented in `bot.help`."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Union

from bot import help as help_text
from bot.catalogue import CATALOGUE, Refusal, check_request, get_model

__all__ = [
    "Audit", "Avatar", "Cancel", "Command", "Help", "Jobs", "Models", "Refusal", "SettingsSet",
    "SettingsShow", "Spend", "SubjectAdd", "SubjectList", "SubjectRemove", "SubjectRename",
    "SubjectShow", "ThreadInstruction", "VideoRequest", "parse_command", "parse_reply", "tokenize",
]  # fmt: skip

MAX_PROMPT = 2500  # Kling 2.6 / O1 / AI/ML API prompt limit, the lowest among the backends
MAX_INPUT = 10_000  # longer text is refused before any work
MAX_SCRIPT = 1000  # Kling's text-to-speech limit for avatar scripts
MAX_DESCRIPTION = 300
MAX_SUBJECTS = 8
MAX_TAKES = 4
MAX_SEED = 2**31 - 1
MAX_SECONDS = max(s for m in CATALOGUE.values() for s in m.seconds)
MAX_USD = 1_000_000.0
SUBCOMMANDS = ("help", "models", "jobs", "cancel", "subject", "settings", "avatar", "spend", "audit")


@dataclass(frozen=True)
class VideoRequest:
    prompt: str
    model: str | None = None  # None = the channel's default
    seconds: int | None = None
    aspect: str | None = None
    resolution: str | None = None
    takes: int = 1
    audio: bool | None = None
    image_url: str | None = None
    seed: int | None = None
    negative: str | None = None
    subjects: tuple[str, ...] = ()  # lowercased, in order of appearance, no repeats


@dataclass(frozen=True)
class Help:
    topic: str | None = None  # a key of bot.help.HELP_TOPICS


@dataclass(frozen=True)
class Models:
    pass


@dataclass(frozen=True)
class Jobs:
    pass


@dataclass(frozen=True)
class Cancel:
    job_id: str


@dataclass(frozen=True)
class Spend:
    pass


@dataclass(frozen=True)
class Audit:
    pass


@dataclass(frozen=True)
class SubjectAdd:
    name: str
    image_urls: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class SubjectList:
    pass


@dataclass(frozen=True)
class SubjectShow:
    name: str


@dataclass(frozen=True)
class SubjectRemove:
    name: str


@dataclass(frozen=True)
class SubjectRename:
    old: str
    new: str


@dataclass(frozen=True)
class SettingsShow:
    pass


@dataclass(frozen=True)
class SettingsSet:
    key: str  # "model" | "final-model" | "budget" | "job-limit" | "approvers" | "approval"
    value: str | float | tuple[str, ...] | None  # see _settings_value


@dataclass(frozen=True)
class Avatar:
    subject: str
    script: str | None = None  # exactly one of script / audio_url is set
    audio_url: str | None = None
    model: str | None = None  # None = kling-avatar-pro


@dataclass(frozen=True)
class ThreadInstruction:
    kind: str  # "edit" | "again" | "extend" | "final" | "save_subject"
    text: str = ""  # the edit/extend instruction, or the subject name for save_subject
    version: int | None = None  # "v2: warmer light" -> 2
    model: str | None = None
    seconds: int | None = None
    audio: bool | None = None
    image_url: str | None = None
    takes: int = 1  # "--n 3": that many versions of the one instruction


Command = Union[  # noqa: UP007 (a runtime alias that isinstance() and match can use)
    VideoRequest, Help, Models, Jobs, Cancel, Spend, Audit, SubjectAdd, SubjectList, SubjectShow,
    SubjectRemove, SubjectRename, SettingsShow, SettingsSet, Avatar,
]  # fmt: skip

# ---------------------------------------------------------------- cleaning and splitting text

_DOUBLE_QUOTES = '"“”„'
_SINGLE_QUOTES = "'‘’"
# Slack's escaped references: <https://x|label>, <@U123|name>, <#C123|name>, <!here>, <mailto:...>
_SLACK_REF = re.compile(r"<([@#!][^<>\s|]*|[A-Za-z][A-Za-z0-9+.-]*:[^<>\s|]+)(?:\|([^<>]*))?>")
_FLAG = re.compile(r"(--[A-Za-z][A-Za-z0-9-]*|-[A-Za-z])(=.*)?", re.DOTALL)
_SMART_DASH = re.compile(r"^[—–]([A-Za-z][A-Za-z0-9-]*)(=.*)?$", re.DOTALL)  # macOS turns -- into —
_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
_BRACED = re.compile(r"\{([^{}]*)\}")
_USER = re.compile(r"<@([UW][A-Z0-9]{2,})(?:\|[^<>]*)?>")


def _clean(text: str) -> str:
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


@dataclass(frozen=True)
class _Token:
    value: str  # quotes removed, Slack references kept as sent
    raw: str  # as typed, quotes kept
    quoted: bool  # began with a quote: never a flag or a command word


def _closing_single(text: str, start: int) -> int:
    """A single quote closes only before space, end or punctuation, so "dog's" stays one word."""
    for j in range(start, len(text)):
        if text[j] in _SINGLE_QUOTES and (j + 1 == len(text) or text[j + 1] in " .,;:!?)"):
            return j
    return -1


def _lex(text: str) -> list[_Token] | Refusal:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    unclosed_from = n  # no closing single quote after here: stops rescans (quadratic on ' ' ' …)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start, parts, quoted = i, [], False
        while i < n and not text[i].isspace():
            ch = text[i]
            if ch == "<" and (ref := _SLACK_REF.match(text, i)):
                parts.append(ref.group(0))
                i = ref.end()
            elif ch in _DOUBLE_QUOTES:
                end = next((j for j in range(i + 1, n) if text[j] in _DOUBLE_QUOTES), -1)
                if end < 0:
                    return Refusal(
                        "There's a quote mark without its closing partner. Close it "
                        '(`--negative "blurry, dark"`) or remove it.'
                    )
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
        tokens.append(_Token("".join(parts), text[start:i], quoted))
    return tokens


def tokenize(text: str) -> list[str] | Refusal:
    """Shell-like words: "..." '...' “...” ‘...’ group words and are removed; a Slack reference
    such as <https://x|a label> stays one word; an unclosed double quote is refused."""
    tokens = _lex(_clean(text))
    return tokens if isinstance(tokens, Refusal) else [t.value for t in tokens]


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_MENTION_REFUSAL = Refusal(
    "Prompts can't contain @mentions, #channels or @here: the video model can't see who or what "
    "they are. Describe the person or place instead, or save a person as a subject "
    "(`/video subject add NAME IMAGE_URL`) and write `{NAME}`."
)


def _readable(text: str) -> str | Refusal:
    """Prompt text as a person reads it: links become their label (or address), Slack's &lt; &gt;
    &amp; are undone; mentions are refused rather than sent to a provider as opaque ids."""
    if any(m.group(1)[0] in "@#!" for m in _SLACK_REF.finditer(text)):
        return _MENTION_REFUSAL
    linked = _SLACK_REF.sub(lambda m: m.group(2) or m.group(1), text)
    return _unescape(linked)


def _words(tokens: list[_Token]) -> str | Refusal:
    """Join prompt words; a prompt that is one quoted phrase loses its outer quotes."""
    text = tokens[0].value if len(tokens) == 1 and tokens[0].quoted else " ".join(t.raw for t in tokens)
    readable = _readable(text)
    return readable if isinstance(readable, Refusal) else " ".join(readable.split())


def _url(text: str, what: str) -> str | Refusal:
    ref = _SLACK_REF.fullmatch(text)
    url = _unescape(ref.group(1) if ref else text).strip()
    if not re.fullmatch(r"https?://[^\s/?#]+[^\s]*", url, re.IGNORECASE) or len(url) > 2000:
        shown = text if len(text) <= 40 else text[:40] + "…"
        return Refusal(f"{what} needs a web address starting with https:// (you gave `{shown}`).")
    return url


def _subject_name(text: str) -> str | Refusal:
    name = text[1:-1] if text.startswith("{") and text.endswith("}") else text
    if not _NAME.fullmatch(name):
        shown = name if len(name) <= 40 else name[:40] + "…"
        return Refusal(
            f"`{{{shown}}}` isn't a valid subject name: use 1 to 32 letters, digits, - or _ (e.g. `{{maya}}`)."
        )
    return name.lower()


def _int(text: str, flag: str, lo: int, hi: int, suffix: str = "") -> int | Refusal:
    """Whole numbers only; the digit cap keeps 10**30 (and int()'s 4300-digit limit) harmless."""
    match = re.fullmatch(rf"([+-]?\d{{1,12}})\s*(?:{suffix})?", text.strip(), re.IGNORECASE)
    value = int(match.group(1)) if match else None
    if value is None or not lo <= value <= hi:
        shown = text if len(text) <= 20 else text[:20] + "…"
        return Refusal(f"{flag} takes a whole number from {lo} to {hi}; you gave `{shown}`.")
    return value


def _model_id(text: str, flag: str = "--model") -> str | Refusal:
    model = get_model(_unescape(text))
    if model is not None:
        return model.id
    known = ", ".join(CATALOGUE)
    close = difflib.get_close_matches(text.strip().lower()[:40], list(CATALOGUE), n=1, cutoff=0.6)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    shown = text if len(text) <= 40 else text[:40] + "…"
    return Refusal(f"I don't know the model `{shown}`.{hint} Models: {known}. `/video models` compares them.")


# ---------------------------------------------------------------- flags

_ALIASES = {"-m": "--model", "--resolution": "--res", "--duration": "--seconds", "--takes": "--n"}
_VALUE_FLAGS = {
    "--model", "--seconds", "--aspect", "--res", "--n", "--image", "--seed", "--negative",
    "--subject", "--audio-url",
}  # fmt: skip
_SWITCHES = {"--audio", "--no-audio"}
_ASPECT_WORDS = {"landscape": "16:9", "portrait": "9:16", "square": "1:1"}
VIDEO_FLAGS = frozenset(_VALUE_FLAGS - {"--audio-url"} | _SWITCHES)
REPLY_FLAGS = frozenset({"--model", "--seconds", "--audio", "--no-audio", "--image", "--n"})
AVATAR_FLAGS = frozenset({"--model", "--audio-url"})


def _flag_name(token: _Token) -> tuple[str, str | None] | None:
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
    return _ALIASES.get(name, name), inline


def _split_flags(
    tokens: list[_Token], allowed: frozenset[str], where: str
) -> tuple[dict[str, list[_Token]], list[_Token]] | Refusal:
    """Separate flags (anywhere) from the other words; refuse unknown, valueless or repeated flags."""
    flags: dict[str, list[_Token]] = {}
    words: list[_Token] = []
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
            shown = name if len(name) <= 30 else name[:30] + "…"
            close = difflib.get_close_matches(name[:40], sorted(allowed), n=1, cutoff=0.7)
            hint = f" Did you mean `{close[0]}`?" if close else ""
            listed = ", ".join(sorted(allowed))
            return Refusal(
                f"I don't know the flag `{shown}` {where}.{hint} Flags here: {listed}. See `/video help`."
            )
        if name in _SWITCHES:
            if inline is not None:
                return Refusal(f"{name} doesn't take a value: write --audio or --no-audio.")
            value = token
        elif inline is not None:
            value = _Token(inline, inline, False)
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
}


def _common_values(flags: dict[str, list[_Token]]) -> dict | Refusal:
    """Convert the flags shared by requests and replies: model, seconds, audio, image."""
    out: dict = {}
    if "--model" in flags:
        out["model"] = _model_id(flags["--model"][0].value)
    if "--seconds" in flags:
        out["seconds"] = _int(flags["--seconds"][0].value, "--seconds", 1, MAX_SECONDS, r"s|secs?|seconds?")
    if "--audio" in flags or "--no-audio" in flags:
        out["audio"] = "--audio" in flags
    if "--image" in flags:
        out["image_url"] = _url(flags["--image"][0].value, "--image")
    for value in out.values():
        if isinstance(value, Refusal):
            return value
    return out


def _video_request(tokens: list[_Token], has_attachment: bool) -> VideoRequest | Refusal:
    split = _split_flags(tokens, VIDEO_FLAGS, "in a video request")
    if isinstance(split, Refusal):
        return split
    flags, words = split
    fields = _common_values(flags)
    if isinstance(fields, Refusal):
        return fields
    subjects: list[str] = []
    for token in flags.get("--subject", []):
        name = _subject_name(token.value)
        if isinstance(name, Refusal):
            return name
        subjects.append(name)
    prompt = _words(words)
    if isinstance(prompt, Refusal):
        return prompt
    if not prompt:
        return Refusal(
            "Add a prompt: what should the video show? e.g. `/video a red fox trotting through snow --seconds 5`"
        )
    if len(prompt) > MAX_PROMPT:
        return Refusal(
            f"The prompt is {len(prompt):,} characters; models take at most {MAX_PROMPT:,}. Shorten it."
        )
    for braced in _BRACED.findall(prompt):
        name = _subject_name(braced)
        if isinstance(name, Refusal):
            return name
        subjects.append(name)
    subjects = list(dict.fromkeys(subjects))
    if len(subjects) > MAX_SUBJECTS:
        return Refusal(f"A video can name at most {MAX_SUBJECTS} subjects; you named {len(subjects)}.")
    if "--aspect" in flags:
        raw = _unescape(flags["--aspect"][0].value).strip().lower()
        fields["aspect"] = _ASPECT_WORDS.get(raw, raw)
        if fields["aspect"] not in ("16:9", "9:16", "1:1"):
            return Refusal(
                f"--aspect takes 16:9, 9:16 or 1:1 (or landscape, portrait, square); you gave `{raw[:20]}`."
            )
    if "--res" in flags:
        raw = _unescape(flags["--res"][0].value).strip().lower()
        fields["resolution"] = raw if raw.endswith("p") else raw + "p"
        if fields["resolution"] not in ("720p", "1080p"):
            return Refusal(f"--res takes 720p or 1080p; you gave `{raw[:20]}`.")
    if "--n" in flags:
        fields["takes"] = _int(flags["--n"][0].value, "--n", 1, MAX_TAKES)
    if "--seed" in flags:
        fields["seed"] = _int(flags["--seed"][0].value, "--seed", 0, MAX_SEED)
    if "--negative" in flags:
        negative = _readable(flags["--negative"][0].value)
        if isinstance(negative, Refusal):
            return negative
        fields["negative"] = " ".join(negative.split())
        if not fields["negative"] or len(fields["negative"]) > MAX_PROMPT:
            return Refusal(
                f'--negative needs 1 to {MAX_PROMPT:,} characters, e.g. --negative "blurry, text".'
            )
    for value in fields.values():
        if isinstance(value, Refusal):
            return value
    request = VideoRequest(prompt=prompt, subjects=tuple(subjects), **fields)
    model = get_model(request.model) if request.model else None
    if model is not None:
        has_reference = has_attachment or bool(request.image_url or request.subjects)
        refusal = check_request(request, model, has_reference=has_reference)
        if refusal is not None:
            return refusal
    return request


# ---------------------------------------------------------------- subcommands


def _shape(word: str, usage: str) -> Refusal:
    return Refusal(
        f"`/video {word}` is written `{usage}`. For a video whose prompt starts with “{word}”, put the "
        f'prompt in quotes: `/video "{word} …"`.'
    )


def _no_args(word: str, command: Command):
    return lambda rest: _shape(word, f"/video {word}") if rest else command


def _help(rest: list[_Token]) -> Help | Refusal:
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


def _cancel(rest: list[_Token]) -> Cancel | Refusal:
    job = rest[0].value.strip().removeprefix("#") if len(rest) == 1 else ""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", job):
        return _shape("cancel", "/video cancel JOB (the job id shown on its card)")
    return Cancel(job)


def _subject(rest: list[_Token], *, has_attachment: bool = False) -> Command | Refusal:
    verb = rest[0].value.lower() if rest else "list"
    args = rest[1:]
    usage = {
        "add": "/video subject add NAME IMAGE_URL… [-- description]",
        "show": "/video subject show NAME",
        "remove": "/video subject remove NAME",
        "rename": "/video subject rename OLD NEW",
        "list": "/video subject list",
    }
    verb = {"ls": "list", "rm": "remove", "delete": "remove"}.get(verb, verb)
    if verb not in usage:
        return _shape("subject", "/video subject add|list|show|remove|rename …")
    if verb == "list":
        return _shape("subject", usage[verb]) if args else SubjectList()
    if verb == "add":
        return _subject_add(args, usage[verb], has_attachment)
    expected = 2 if verb == "rename" else 1
    if len(args) != expected:
        return _shape("subject", usage[verb])
    names = [_subject_name(a.value) for a in args]
    for name in names:
        if isinstance(name, Refusal):
            return name
    if verb == "rename":
        return SubjectRename(*names)
    return SubjectShow(names[0]) if verb == "show" else SubjectRemove(names[0])


def _subject_add(args: list[_Token], usage: str, has_attachment: bool = False) -> SubjectAdd | Refusal:
    cut = next((i for i, t in enumerate(args) if not t.quoted and t.value in ("--", "—", "–")), len(args))
    head, tail = args[:cut], args[cut + 1 :]
    if len(head) < (1 if has_attachment else 2):
        return _shape("subject", usage)
    name = _subject_name(head[0].value)
    if isinstance(name, Refusal):
        return name
    urls: list[str] = []
    for token in head[1:]:
        url = _url(token.value, f"`subject add {name}`")
        if isinstance(url, Refusal):
            return Refusal(
                f"{url.message} Put a description after `--`: "
                f"`/video subject add {name} https://…/{name}.png -- red coat, short grey hair`"
            )
        urls.append(url)
    if len(urls) > 4:
        return Refusal(f"A subject takes 1 to 4 images (the first is the front view); you gave {len(urls)}.")
    description = _words(tail) if tail else ""
    if isinstance(description, Refusal):
        return description
    if len(description) > MAX_DESCRIPTION:
        return Refusal(f"Keep the description under {MAX_DESCRIPTION} characters; it has {len(description)}.")
    return SubjectAdd(name, tuple(dict.fromkeys(urls)), description)


SETTINGS_KEYS = ("model", "final-model", "budget", "job-limit", "approvers", "approval")
_SETTINGS_ALIASES = {"draft-model": "model", "default-model": "model", "final": "final-model",
                     "approver": "approvers", "limit": "job-limit"}  # fmt: skip
_SETTINGS_USAGE = {
    "model": "/video settings model ID",
    "final-model": "/video settings final-model ID",
    "budget": "/video settings budget USD|none",
    "job-limit": "/video settings job-limit USD|none",
    "approvers": "/video settings approvers @person… | none",
    "approval": "/video settings approval any|all",
}


def _usd(text: str, key: str) -> float | None | Refusal:
    raw = _unescape(text).strip().lower()
    if raw in ("none", "off"):
        return None
    amount = raw.removeprefix("$").removesuffix("usd").strip().replace(",", "")
    if re.fullmatch(r"\d{1,7}(\.\d{1,2})?", amount) and float(amount) <= MAX_USD:
        return float(amount)
    return Refusal(
        f"{key} takes an amount in US dollars such as 50 or 12.50, or `none`; you gave `{raw[:20]}`."
    )


def _settings(rest: list[_Token]) -> Command | Refusal:
    if not rest:
        return SettingsShow()
    key = rest[0].value.lower()
    key = _SETTINGS_ALIASES.get(key, key)
    if key not in SETTINGS_KEYS:
        return Refusal(f"Settings you can change: {', '.join(SETTINGS_KEYS)}. `/video settings` shows them.")
    args = rest[1:]
    if not args or (key != "approvers" and len(args) != 1):
        return Refusal(f"Write it as `{_SETTINGS_USAGE[key]}`.")
    value: str | float | tuple[str, ...] | None | Refusal
    if key in ("model", "final-model"):
        value = _model_id(args[0].value)
        if isinstance(value, str) and "text" not in CATALOGUE[value].inputs:
            value = Refusal(f"{value} only makes avatars; pick a model that renders prompts.")
    elif key in ("budget", "job-limit"):
        value = _usd(args[0].value, key)
    elif key == "approval":
        value = args[0].value.lower()
        if value not in ("any", "all"):
            value = Refusal("approval takes `any` (one approver's ✅ is enough) or `all` (every approver's).")
    else:
        value = _approvers(args)
    return value if isinstance(value, Refusal) else SettingsSet(key, value)


def _approvers(args: list[_Token]) -> tuple[str, ...] | Refusal:
    if len(args) == 1 and args[0].value.lower() in ("none", "off"):
        return ()
    users = []
    for token in args:
        match = _USER.fullmatch(token.value)
        if match is None:
            return Refusal(
                f"`{_unescape(token.value)[:30]}` isn't a mention: type @ and pick each person so Slack "
                "links them (or write `none`)."
            )
        users.append(match.group(1))
    return tuple(dict.fromkeys(users))


def _avatar(rest: list[_Token], *, has_audio: bool = False) -> Avatar | Refusal:
    usage = '/video avatar {subject} "what they say"` or `/video avatar {subject} --audio-url URL'
    split = _split_flags(rest, AVATAR_FLAGS, "in `/video avatar`")
    if isinstance(split, Refusal):
        return split
    flags, words = split
    if not words:
        return _shape("avatar", usage)
    subject = _subject_name(words[0].value)
    if isinstance(subject, Refusal):
        return subject
    model = _model_id(flags["--model"][0].value) if "--model" in flags else None
    if isinstance(model, str) and "script" not in CATALOGUE[model].inputs:
        avatars = ", ".join(m.id for m in CATALOGUE.values() if "script" in m.inputs)
        model = Refusal(f"{model} doesn't make talking avatars; use {avatars}.")
    audio_url = _url(flags["--audio-url"][0].value, "--audio-url") if "--audio-url" in flags else None
    script = (_words(words[1:]) or None) if len(words) > 1 else None
    for value in (model, audio_url, script):
        if isinstance(value, Refusal):
            return value
    if script is not None and audio_url is not None:
        return Refusal(f"Give the avatar either a script or an audio file, not both: `{usage}`.")
    if script is None and audio_url is None and not has_audio:  # an attached audio file speaks
        return Refusal(
            f"Give the avatar either a script or an audio file (attach it when you mention me): `{usage}`."
        )
    if script is not None and len(script) > MAX_SCRIPT:
        return Refusal(
            f"An avatar script can be at most {MAX_SCRIPT:,} characters; this one is {len(script):,}."
        )
    return Avatar(subject, script, audio_url, model)


_SUBCOMMANDS = {
    "help": _help,
    "models": _no_args("models", Models()),
    "jobs": _no_args("jobs", Jobs()),
    "cancel": _cancel,
    "subject": _subject,
    "settings": _settings,
    "avatar": _avatar,
    "spend": _no_args("spend", Spend()),
    "audit": _no_args("audit", Audit()),
}

_TOO_LONG = Refusal(f"That's too long: prompts can be at most {MAX_PROMPT:,} characters.")


def parse_command(text: str, *, has_attachment: bool = False, has_audio: bool = False) -> Command | Refusal:
    """Parse the text typed after `/video` (or after the bot's mention). The first word is a
    subcommand when it is one of SUBCOMMANDS (unquoted); otherwise the text is a video request.
    An explicit --model is checked here; `has_attachment`: an image came with a mention;
    `has_audio`: an audio file did (an avatar's speech)."""
    if len(text) > MAX_INPUT:
        return _TOO_LONG
    tokens = _lex(_clean(text))
    if isinstance(tokens, Refusal):
        return tokens
    if not tokens:
        return Refusal(help_text.usage_hint())
    head = tokens[0]
    if not head.quoted and head.value.lower() in _SUBCOMMANDS:
        if head.value.lower() == "subject":  # images attached to a mention may stand in for URLs
            return _subject(tokens[1:], has_attachment=has_attachment)
        if head.value.lower() == "avatar":
            return _avatar(tokens[1:], has_audio=has_audio)
        return _SUBCOMMANDS[head.value.lower()](tokens[1:])
    return _video_request(tokens, has_attachment)


# ---------------------------------------------------------------- thread replies

_VERSION = re.compile(r"v(\d{1,4})\s*[:,]\s*", re.IGNORECASE)
_SAVE = re.compile(r"save (?:it |this )?as (?:a )?subject (.+)|save subject (.+)")


def parse_reply(text: str) -> ThreadInstruction | Refusal:
    """A reply in a job's thread: "again" / "another take", "extend …" / "next shot …", "final",
    "save as subject NAME", "v2: …" (which take), anything else is an edit. Flags: REPLY_FLAGS."""
    if len(text) > MAX_INPUT:
        return _TOO_LONG
    cleaned = _clean(text).strip()
    version = None
    if match := _VERSION.match(cleaned):
        version = int(match.group(1))
        cleaned = cleaned[match.end() :]
    tokens = _lex(cleaned)
    if isinstance(tokens, Refusal):
        return tokens
    split = _split_flags(tokens, REPLY_FLAGS, "in a thread reply")
    if isinstance(split, Refusal):
        return split
    flags, words = split
    fields = _common_values(flags)
    if isinstance(fields, Refusal):
        return fields
    if "--n" in flags:
        fields["takes"] = _int(flags["--n"][0].value, "--n", 1, MAX_TAKES)
        if isinstance(fields["takes"], Refusal):
            return fields["takes"]
    plain = " ".join(t.value.lower() for t in words).strip(" .!?")
    kind, rest = "edit", words
    if plain in ("again", "another", "another take", "one more", "one more take", "retry") or (
        not plain and fields
    ):
        kind, rest = "again", []
    elif plain in ("final", "final render", "render final"):
        kind, rest = "final", []
    elif words and words[0].value.lower() == "extend":
        kind, rest = "extend", words[1:]
    elif (
        len(words) >= 2 and words[0].value.lower() == "next" and words[1].value.lower().strip(":,") == "shot"
    ):
        kind, rest = "extend", words[2:]
    elif save := _SAVE.fullmatch(plain):
        name = _subject_name(save.group(1) or save.group(2))
        if isinstance(name, Refusal):
            return name
        return ThreadInstruction("save_subject", name, version, **fields)
    instruction = _words(rest) if rest else ""
    if isinstance(instruction, Refusal):
        return instruction
    if kind == "edit" and not instruction:
        return Refusal(
            "Reply with what to change (e.g. `warmer light, slower camera`), or `again`, `extend …`, "
            "`final`, `save as subject NAME`."
        )
    if len(instruction) > MAX_PROMPT:
        return Refusal(
            f"That instruction is {len(instruction):,} characters; models take at most {MAX_PROMPT:,}."
        )
    return ThreadInstruction(kind, instruction, version, **fields)
