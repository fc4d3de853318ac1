"""`cut` (pure): the words that ask for a campaign's cut (`cut`, `cut S3 S1 S2[1.5-4]`,
`cut --fade 0.5`, `cut --aspect 9:16`), the version each shot contributes, and the checks made
before any work."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.outcomes import Refusal

MAX_CUT_SECONDS = 600.0  # ten minutes
MAX_FADE = 2.0
_SHOT = re.compile(r"S(\d{1,3})(?:\[([^\]]*)\])?", re.IGNORECASE)
_TRIM = re.compile(r"\s*(\d+(?:\.\d+)?)?\s*s?\s*-\s*(\d+(?:\.\d+)?)?\s*s?\s*")
_MENTION = re.compile(r"<@\w+(?:\|[^>]*)?>")
_NUMBER = re.compile(r"\d+(?:\.\d+)?s?")
_ASPECT = re.compile(r"[1-9]\d?:[1-9]\d?")
USAGE = "`cut`, `cut S3 S1 S2[1.5-4]` (order and trims in seconds), `cut --fade 0.5` or `cut --aspect 9:16`"


@dataclass(frozen=True)
class CutPiece:
    """One shot in the cut as asked: its S number and optional trim (seconds into its clip)."""

    shot: int
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True)
class CutAsk:
    pieces: tuple[CutPiece, ...]  # empty: every shot, in shot order
    fade: float = 0.0
    aspect: str | None = None  # None: the campaign's first aspect


@dataclass(frozen=True)
class Version:
    """A delivered version of a shot, as the cut sees it."""

    take_id: int
    version: int
    seconds: float
    approved: bool
    model: str = ""


@dataclass(frozen=True)
class Planned:
    """A piece of the cut, checked: which version, and the part of it used."""

    shot: int
    take_id: int
    version: int
    source_in: float
    source_out: float
    model: str = ""

    @property
    def label(self) -> str:
        return f"S{self.shot} v{self.version}"


@dataclass(frozen=True)
class CutPlan:
    pieces: tuple[Planned, ...]
    fade: float
    unapproved: tuple[int, ...]  # shots whose latest delivered version stands in for an approval

    @property
    def seconds(self) -> float:
        """Length of the pieces end to end (at most the sequence's: a crossfade overlaps them)."""
        return sum(p.source_out - p.source_in for p in self.pieces)


def parse_cut(text: str) -> CutAsk | Refusal | None:
    """The reply as a cut, a Refusal for a cut asked wrongly, or None when it is not a cut at all
    (`cut to a close-up` is an edit: `cut` followed by anything but shots, trims and `--fade`)."""
    words = [w for w in text.replace(",", " ").split() if not _MENTION.fullmatch(w)]
    if not words or words[0].lower().strip(".!") != "cut":
        return None
    rest = words[1:]
    pieces: list[CutPiece] = []
    fade = 0.0
    aspect = None
    i = 0
    while i < len(rest):
        word = rest[i]
        if word.lower() in ("--aspect", "—aspect"):
            if i + 1 >= len(rest) or not _ASPECT.fullmatch(rest[i + 1]):
                return Refusal("`--aspect` takes the versions' aspect, e.g. `cut --aspect 9:16`.")
            aspect = rest[i + 1]
            i += 2
            continue
        if word.lower() in ("--fade", "—fade"):  # Slack turns `--` into an em dash
            if i + 1 >= len(rest) or not _NUMBER.fullmatch(rest[i + 1]):
                return Refusal(f"`--fade` takes seconds, e.g. `cut --fade 0.5` (0 to {MAX_FADE:g}).")
            fade = float(rest[i + 1].rstrip("s"))
            if fade > MAX_FADE:
                return Refusal(f"A fade is at most {MAX_FADE:g} seconds; `--fade {fade:g}` is longer.")
            i += 2
            continue
        match = _SHOT.fullmatch(word)
        if match is None:
            if word[:1] in "sS" and "[" in word:
                return Refusal(f"I can't read `{word}` in a cut. Try {USAGE}.")
            return None  # words (or flags) of an edit: `cut to a close-up --model kling-o1`
        piece = _piece(int(match.group(1)), match.group(2))
        if isinstance(piece, Refusal):
            return piece
        pieces.append(piece)
        i += 1
    return CutAsk(tuple(pieces), fade, aspect)


def _piece(number: int, trim: str | None) -> CutPiece | Refusal:
    if trim is None:
        return CutPiece(number)
    match = _TRIM.fullmatch(trim)
    if match is None or (match.group(1) is None and match.group(2) is None):
        return Refusal(
            f"`S{number}[{trim}]` is not a trim: give the seconds to keep, like `S{number}[1.5-4]`, "
            f"`S{number}[2-]` or `S{number}[-3]`."
        )
    start = float(match.group(1)) if match.group(1) is not None else None
    end = float(match.group(2)) if match.group(2) is not None else None
    if start is not None and end is not None and end <= start:
        return Refusal(f"`S{number}[{trim}]` ends before it starts; write the earlier second first.")
    return CutPiece(number, start, end)


def chosen(versions: Sequence[Version]) -> tuple[Version, bool] | None:
    """The version a shot contributes: its latest approved, else its latest delivered (False: not
    approved); None when it has no delivered version. `versions` are delivered ones, oldest first."""
    approved = [v for v in versions if v.approved]
    if approved:
        return approved[-1], True
    return (versions[-1], False) if versions else None


def without_aspect(ask: CutAsk, shots: Mapping[int, Sequence[Version]], aspect: str) -> Refusal | None:
    """A cut asked at an aspect (`--aspect 9:16`) some of its shots have no delivered version at:
    what to do (`for 9:16` renders each approved version there). `shots` hold the versions at it."""
    asked = [p.shot for p in ask.pieces] or sorted(shots)
    missing = [n for n in dict.fromkeys(asked) if n in shots and not shots[n]]
    if not missing:
        return None
    named = ", ".join(f"S{n}" for n in missing)
    verb = "has" if len(missing) == 1 else "have"
    return Refusal(
        f"{named} {verb} no {aspect} version yet: approve a version and reply `for {aspect}` to "
        f"render it at {aspect}, then cut again (or `cut` without `--aspect`)."
    )


def plan_cut(ask: CutAsk, shots: Mapping[int, Sequence[Version]]) -> CutPlan | Refusal:
    """The checked cut over a campaign's shots (S number -> its delivered versions, oldest
    first): every named shot exists and has a delivered version, every trim lies within its clip,
    the sequence is at most ten minutes and a fade fits in the shortest piece."""
    if not shots:
        return Refusal("This campaign has no shots to cut.")
    asked = ask.pieces or tuple(CutPiece(n) for n in sorted(shots))
    known = sorted(shots)
    unknown = [p.shot for p in asked if p.shot not in shots]
    if unknown:
        return Refusal(
            f"This campaign has no S{unknown[0]}; its shots are S{known[0]}–S{known[-1]}. Try {USAGE}."
        )
    missing = [p.shot for p in asked if chosen(shots[p.shot]) is None]
    if missing:
        named = ", ".join(f"S{n}" for n in dict.fromkeys(missing))
        others = " ".join(f"S{p.shot}" for p in asked if p.shot not in missing)
        hint = f" or leave it out: `cut {others}`" if others else ""
        return Refusal(f"{named} has no delivered version yet; wait for it to land{hint}.")
    pieces, unapproved = [], []
    for piece in asked:
        version, approved = chosen(shots[piece.shot])  # type: ignore[misc]
        length = version.seconds
        start = piece.start or 0.0
        end = piece.end if piece.end is not None else length
        if start >= length or end > length + 0.05:
            return Refusal(
                f"S{piece.shot} v{version.version} runs {length:g} s, so `S{piece.shot}"
                f"[{_num(piece.start)}-{_num(piece.end)}]` is outside it; trim within 0–{length:g}."
            )
        pieces.append(
            Planned(piece.shot, version.take_id, version.version, start, min(end, length), version.model)
        )
        if not approved and piece.shot not in unapproved:
            unapproved.append(piece.shot)
    plan = CutPlan(tuple(pieces), ask.fade, tuple(unapproved))
    shortest = min(pieces, key=lambda p: p.source_out - p.source_in)
    if ask.fade and len(pieces) > 1 and ask.fade * 2 > shortest.source_out - shortest.source_in:
        return Refusal(
            f"A {ask.fade:g} s fade needs pieces of at least {ask.fade * 2:g} s; {shortest.label} runs "
            f"{shortest.source_out - shortest.source_in:g} s. Use a shorter `--fade`."
        )
    if plan.seconds > MAX_CUT_SECONDS:
        return Refusal(
            f"That cut would run {clock(plan.seconds)}; a cut is at most {clock(MAX_CUT_SECONDS)}. "
            "Trim the shots (`S2[0-4]`) or leave some out."
        )
    return plan


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def clock(seconds: float) -> str:
    """`0:14`, `1:02:05`: a sequence's length as an editor reads it."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def cut_caption(version: int, seconds: float, pieces: Sequence[Planned]) -> str:
    """`the cut v1 · 0:14 · S1 v2 · S2 v1 · S3 v1`."""
    return " · ".join([f"the cut v{version}", clock(seconds), *(p.label for p in pieces)])


def unapproved_note(shots: Sequence[int]) -> str:
    """What the person is told about shots that had no approved version (empty when all had one)."""
    if not shots:
        return ""
    named = ", ".join(f"S{n}" for n in shots)
    verb = "has" if len(shots) == 1 else "have"
    return f"{named} {verb} no approved version, so the latest delivered is used."
