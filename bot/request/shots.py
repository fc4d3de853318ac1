"""Multi-shot prompts: `3s: wide shot of a harbour // 2s: a gull takes off` -> (seconds, prompt)
per shot, with the clip's length shared out and checked (pure)."""

from __future__ import annotations

import re

from bot.outcomes import Refusal

MIN_SHOTS, MAX_SHOTS = 2, 6
MAX_SHOT_PROMPT = 512  # Kling's multi_prompt[].prompt limit
MIN_SHOT_SECONDS = 1
# `//` separates shots; a URL's `://` does not
_SEPARATOR = re.compile(r"(?<!:)//")
_LEADING_SECONDS = re.compile(r"^\s*(\d{1,3})\s*(?:s|secs?|seconds?)?\s*:\s*", re.I)

Shots = tuple[tuple[int, str], ...]


def is_multi_shot(prompt: str) -> bool:
    return bool(_SEPARATOR.search(prompt))


def parse_shots(prompt: str, seconds: int | None) -> Shots | Refusal:
    """The shots of a `//`-separated prompt; `seconds` (from --seconds) is the clip's length when
    given: shots without their own seconds share what the others leave of it."""
    parts = [p.strip() for p in _SEPARATOR.split(prompt)]
    if any(not p for p in parts):
        return Refusal("A multi-shot prompt has an empty shot: write something between each `//`.")
    if not MIN_SHOTS <= len(parts) <= MAX_SHOTS:
        return Refusal(
            f"A multi-shot prompt takes {MIN_SHOTS} to {MAX_SHOTS} shots separated by `//`; "
            f"this has {len(parts)}."
        )
    given: list[int | None] = []
    texts: list[str] = []
    for n, part in enumerate(parts, start=1):
        match = _LEADING_SECONDS.match(part)
        text = part[match.end() :].strip() if match else part
        if not text:
            return Refusal(f"Shot {n} has seconds but no description: say what it shows.")
        if len(text) > MAX_SHOT_PROMPT:
            return Refusal(
                f"Shot {n} is {len(text)} characters; each shot takes at most {MAX_SHOT_PROMPT}. Shorten it."
            )
        if match and int(match.group(1)) < MIN_SHOT_SECONDS:
            return Refusal(f"Shot {n} is {match.group(1)} s; each shot needs at least {MIN_SHOT_SECONDS} s.")
        given.append(int(match.group(1)) if match else None)
        texts.append(text)
    durations = _share(given, seconds)
    if isinstance(durations, Refusal):
        return durations
    return tuple(zip(durations, texts, strict=True))


def _share(given: list[int | None], seconds: int | None) -> list[int] | Refusal:
    named = sum(s for s in given if s is not None)
    open_shots = [i for i, s in enumerate(given) if s is None]
    listed = " + ".join(f"{s}s" if s is not None else "?" for s in given)
    if not open_shots:
        if seconds is not None and named != seconds:
            return Refusal(
                f"The shots add up to {named} s ({listed}) but --seconds is {seconds}: "
                f"make them equal, or drop --seconds."
            )
        return [s for s in given if s is not None]
    if seconds is None:
        return Refusal(
            f"Shot {open_shots[0] + 1} has no length: start each shot with its seconds "
            "(`3s: wide shot // 2s: close-up`), or add --seconds N to share the clip between them."
        )
    left = seconds - named
    if left < len(open_shots) * MIN_SHOT_SECONDS:
        return Refusal(
            f"--seconds {seconds} leaves {max(left, 0)} s for {len(open_shots)} shot"
            f"{'s' if len(open_shots) != 1 else ''} without a length ({listed}); each needs at "
            f"least {MIN_SHOT_SECONDS} s. Raise --seconds or shorten the others."
        )
    each, extra = divmod(left, len(open_shots))
    out = list(given)
    for k, i in enumerate(open_shots):
        out[i] = each + (1 if k < extra else 0)
    return [int(s) for s in out]  # type: ignore[arg-type]


def shot_lines(shots: Shots) -> list[str]:
    """ "Shot 1 · 3s · wide shot of a harbour" per shot, for cards and captions."""
    return [f"Shot {n} · {s}s · {text}" for n, (s, text) in enumerate(shots, start=1)]
