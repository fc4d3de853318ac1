"""A campaign brief (pure): the form's choices and its shots, one `/video` line each or a CSV/TSV
table, parsed and checked line by line, and the estimate over every shot, take and aspect."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace

from bot.outcomes import Refusal
from bot.request.catalogue import Catalogue, ModelSpec
from bot.request.checks import check_request
from bot.request.commands import MAX_TAKES, VideoRequest
from bot.request.lexer import Token, clean_input, lex
from bot.request.pricing import estimate_cost
from bot.request.video import video_request

MAX_SHOTS = 50
ASPECTS = ("16:9", "9:16", "1:1")
COLUMNS = ("prompt", "model", "seconds", "aspect", "image", "subject")
_COLUMN_FLAGS = {"model": "--model", "seconds": "--seconds", "aspect": "--aspect", "image": "--image"}


@dataclass(frozen=True)
class Brief:
    """The form's choices, which every shot takes unless its line says otherwise."""

    title: str
    model: str
    seconds: int | None
    aspects: tuple[str, ...]
    takes: int


@dataclass(frozen=True)
class CampaignShot:
    number: int  # S1, S2, …
    line: int  # where it was written (the form's line, or the table's row)
    request: VideoRequest  # model and seconds filled in from the brief
    aspects: tuple[str, ...]  # the line's own --aspect, else the brief's


@dataclass(frozen=True)
class Campaign:
    brief: Brief
    shots: tuple[CampaignShot, ...]

    @property
    def renders(self) -> int:
        """Jobs the campaign makes: one per shot and aspect."""
        return sum(len(s.aspects) for s in self.shots)


@dataclass(frozen=True)
class LineError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def _flag_tokens(flag: str, value: str) -> list[Token]:
    return [Token(flag, flag, False), Token(value, value, True)]


def table_lines(text: str) -> list[tuple[int, list[Token]] | LineError]:
    """A CSV or TSV (tab-separated when its header has a tab) -> each row's tokens, as if typed as a
    `/video` line, numbered by the file's line; a row that can't be read is a LineError."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines:
        return [LineError(1, "the file is empty; it needs a header with a `prompt` column.")]
    dialect = "excel-tab" if "\t" in lines[0] else "excel"
    reader = csv.DictReader(io.StringIO("\n".join(lines)), dialect=dialect)
    header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    if "prompt" not in header:
        return [LineError(1, f"the header needs a `prompt` column (columns: {', '.join(COLUMNS)}).")]
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        return [LineError(1, f"unknown column `{unknown[0]}` (columns: {', '.join(COLUMNS)}).")]
    reader.fieldnames = header
    rows: list[tuple[int, list[Token]] | LineError] = []
    for row in reader:
        at = reader.line_num
        values = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(values.values()):
            continue
        cleaned = clean_input(values.get("prompt", ""))
        tokens = lex(cleaned) if isinstance(cleaned, str) else cleaned
        if isinstance(tokens, Refusal):
            rows.append(LineError(at, tokens.message))
            continue
        tokens = [Token(t.value, t.raw, True) for t in tokens]  # a cell's words are never flags
        for column, flag in _COLUMN_FLAGS.items():
            if values.get(column):
                tokens += _flag_tokens(flag, values[column])
        for name in values.get("subject", "").replace(";", ",").split(","):
            if name.strip():
                tokens += _flag_tokens("--subject", name.strip())
        rows.append((at, tokens))
    return rows


def typed_lines(text: str) -> list[tuple[int, list[Token]] | LineError]:
    """The form's shots, one `/video` line each (blank lines skipped, numbers kept)."""
    rows: list[tuple[int, list[Token]] | LineError] = []
    for at, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cleaned = clean_input(line)
        tokens = lex(cleaned) if isinstance(cleaned, str) else cleaned
        rows.append(LineError(at, tokens.message) if isinstance(tokens, Refusal) else (at, tokens))
    return rows


def check_brief(brief: Brief, catalogue: Catalogue) -> dict[str, str]:
    """What is wrong with the form's own choices, by field (empty when nothing is)."""
    errors = {}
    if not brief.title.strip():
        errors["title"] = "Give the campaign a title."
    if catalogue.get(brief.model) is None:
        errors["model"] = f"Unknown model `{brief.model}`; `/video models` lists them."
    if not brief.aspects or any(a not in ASPECTS for a in brief.aspects):
        errors["aspects"] = "Pick one or more aspects: 16:9, 9:16, 1:1."
    if not 1 <= brief.takes <= MAX_TAKES:
        errors["takes"] = f"Takes per shot are 1 to {MAX_TAKES}."
    return errors


def parse_campaign(
    brief: Brief, rows: list[tuple[int, list[Token]] | LineError], catalogue: Catalogue
) -> Campaign | list[LineError]:
    """Every row parsed as a `/video` line with the brief's model, seconds and takes unless it
    names its own, and checked at each of its aspects; all errors, by line, or the campaign."""
    errors: list[LineError] = [r for r in rows if isinstance(r, LineError)]
    lines = [r for r in rows if not isinstance(r, LineError)]
    if not lines and not errors:
        return [LineError(1, "add at least one shot: one prompt per line.")]
    if len(lines) > MAX_SHOTS:
        return [LineError(lines[MAX_SHOTS][0], f"a campaign has at most {MAX_SHOTS} shots.")]
    shots: list[CampaignShot] = []
    for at, tokens in lines:
        shot = _shot(brief, len(shots) + 1, at, tokens, catalogue)
        if isinstance(shot, LineError):
            errors.append(shot)
        else:
            shots.append(shot)
    if errors:
        return sorted(errors, key=lambda e: e.line)
    return Campaign(brief, tuple(shots))


def _shot(
    brief: Brief, number: int, at: int, tokens: list[Token], catalogue: Catalogue
) -> CampaignShot | LineError:
    named = {t.value.lower() for t in tokens if not t.quoted}
    if "--model" not in named and "-m" not in named:
        tokens = [*tokens, *_flag_tokens("--model", brief.model)]
    if "--n" not in named:
        tokens = [*tokens, *_flag_tokens("--n", str(brief.takes))]
    request = video_request(tokens, False, catalogue)
    if isinstance(request, Refusal):
        return LineError(at, request.message)
    model = catalogue.get(request.model or brief.model)
    if model is None:
        return LineError(at, f"unknown model `{request.model}`.")
    if request.seconds is None and not request.motion_url:
        request = replace(request, seconds=brief.seconds or model.default_seconds)
    aspects = (request.aspect,) if request.aspect else brief.aspects
    for aspect in aspects:
        refusal = check_request(
            replace(request, aspect=aspect),
            model,
            has_reference=bool(request.image_url or request.subjects),
            catalogue=catalogue,
        )
        if refusal is not None:
            return LineError(at, refusal.message)
    return CampaignShot(number, at, request, aspects)


def estimate(campaign: Campaign, catalogue: Catalogue) -> float:
    """USD for every shot × take × aspect at the catalogue's prices."""
    total = 0.0
    for shot in campaign.shots:
        model: ModelSpec | None = catalogue.get(shot.request.model or campaign.brief.model)
        if model is None or not model.prices:
            continue
        req = shot.request
        audio = req.audio if req.audio is not None else model.default_audio
        each = estimate_cost(
            model,
            seconds=req.seconds or model.default_seconds or 0,
            resolution=req.resolution or model.default_resolution,
            audio=audio,
            takes=req.takes,
        )
        total += each * len(shot.aspects)
    return round(total, 2)


_SHOT_REPLY = re.compile(r"^\s*S(\d{1,3})\b\s*:?\s*(.*)$", re.IGNORECASE | re.DOTALL)
_WHOLE = ("final",)
_FOR_ASPECTS = re.compile(r"for\s+((?:[\w:]+[\s,]*)+)", re.IGNORECASE)
_ASPECT_WORDS = {"vertical": "9:16", "portrait": "9:16", "square": "1:1", "landscape": "16:9"}


def campaign_reply(text: str) -> tuple[int | None, str] | Refusal:
    """A reply in a board's thread: (shot number, what the rest asks of it, as in a job's thread),
    (None, "final") for every shot's approved version on the final model, or (None, "for 9:16 1:1")
    for every approved version again at those aspects."""
    words = " ".join(text.split())
    if words.lower().strip(" .!") in _WHOLE:
        return None, "final"
    if match := _FOR_ASPECTS.fullmatch(words):
        wanted = [_ASPECT_WORDS.get(w.lower(), w.lower()) for w in match.group(1).replace(",", " ").split()]
        unknown = [w for w in wanted if w not in ASPECTS]
        if unknown:
            return Refusal(f"`for` takes aspects: 16:9, 9:16, 1:1; `{unknown[0]}` is none of them.")
        return None, "for " + " ".join(dict.fromkeys(wanted))
    match = _SHOT_REPLY.match(words)
    if match is None or not match.group(2).strip():
        return Refusal(
            "Name the shot first: `S3: make it dusk`, `S3 v1: warmer light`, `S3 again`, "
            "or reply `final` for every shot's approved version."
        )
    return int(match.group(1)), match.group(2).strip()
