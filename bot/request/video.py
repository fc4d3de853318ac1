"""`/video PROMPT [flags]`: a video request, its prompt, subjects and flags checked before any
work is queued."""

from __future__ import annotations

import re
from typing import Any

from bot.outcomes import Refusal
from bot.request.catalogue import Catalogue, shipped_catalogue
from bot.request.checks import check_request
from bot.request.commands import MAX_PROMPT, MAX_SEED, MAX_SUBJECTS, MAX_TAKES, VideoRequest
from bot.request.flags import VIDEO_FLAGS, Flags, parse_flags
from bot.request.lexer import Token, readable, unescape, words
from bot.request.shots import is_multi_shot, parse_shots
from bot.request.values import first_refusal, subject_names, url, whole_number

_BRACED = re.compile(r"\{([^{}]*)\}")
_ASPECT_WORDS = {"landscape": "16:9", "portrait": "9:16", "square": "1:1"}
_RES_WORDS = {"4k": "4k", "2160p": "4k", "uhd": "4k"}
_URL_FLAGS = {"--end-image": "end_image_url", "--video": "video_url", "--motion": "motion_url"}


def _prompt(tokens: list[Token]) -> str | Refusal:
    prompt = words(tokens)
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
    return prompt


def _render_fields(flags: Flags, fields: dict[str, Any]) -> Refusal | None:
    """Add aspect, resolution, takes, seed and negative prompt to `fields`; refuse a bad one."""
    if "--aspect" in flags:
        raw = unescape(flags["--aspect"][0].value).strip().lower()
        fields["aspect"] = _ASPECT_WORDS.get(raw, raw)
        if fields["aspect"] not in ("16:9", "9:16", "1:1"):
            return Refusal(
                f"--aspect takes 16:9, 9:16 or 1:1 (or landscape, portrait, square); you gave `{raw[:20]}`."
            )
    if "--res" in flags:
        raw = unescape(flags["--res"][0].value).strip().lower()
        fields["resolution"] = _RES_WORDS.get(raw) or (raw if raw.endswith("p") else raw + "p")
        if fields["resolution"] not in ("720p", "1080p", "4k"):
            return Refusal(f"--res takes 720p, 1080p or 4k; you gave `{raw[:20]}`.")
    for flag, name in _URL_FLAGS.items():
        if flag in flags:
            fields[name] = url(flags[flag][0].value, flag)
    if "--orient" in flags:
        fields["orient"] = unescape(flags["--orient"][0].value).strip().lower()
        if fields["orient"] not in ("image", "video"):
            return Refusal(
                "--orient takes image (keep the picture's orientation) or video (follow the "
                f"reference video's); you gave `{fields['orient'][:20]}`."
            )
    if "--n" in flags:
        fields["takes"] = whole_number(flags["--n"][0].value, "--n", 1, MAX_TAKES)
    if "--seed" in flags:
        fields["seed"] = whole_number(flags["--seed"][0].value, "--seed", 0, MAX_SEED)
    if "--negative" in flags:
        negative = readable(flags["--negative"][0].value)
        if isinstance(negative, Refusal):
            return negative
        fields["negative"] = " ".join(negative.split())
        if not fields["negative"] or len(fields["negative"]) > MAX_PROMPT:
            return Refusal(
                f'--negative needs 1 to {MAX_PROMPT:,} characters, e.g. --negative "blurry, text".'
            )
    return first_refusal(fields.values())


def video_request(
    tokens: list[Token], has_attachment: bool, catalogue: Catalogue | None = None
) -> VideoRequest | Refusal:
    """A request from its tokens; an explicit --model is checked against what the model can do."""
    catalogue = shipped_catalogue() if catalogue is None else catalogue
    parsed = parse_flags(tokens, VIDEO_FLAGS, "in a video request", catalogue)
    if isinstance(parsed, Refusal):
        return parsed
    flags, rest, fields = parsed
    flagged = subject_names(t.value for t in flags.get("--subject", []))
    if isinstance(flagged, Refusal):
        return flagged
    prompt = _prompt(rest)
    if isinstance(prompt, Refusal):
        return prompt
    braced = subject_names(_BRACED.findall(prompt))
    if isinstance(braced, Refusal):
        return braced
    subjects = list(dict.fromkeys(flagged + braced))
    if len(subjects) > MAX_SUBJECTS:
        return Refusal(f"A video can name at most {MAX_SUBJECTS} subjects; you named {len(subjects)}.")
    refusal = _render_fields(flags, fields)
    if refusal is not None:
        return refusal
    if is_multi_shot(prompt):
        shots = parse_shots(prompt, fields.get("seconds"))
        if isinstance(shots, Refusal):
            return shots
        fields["shots"] = shots
        fields["seconds"] = sum(s for s, _ in shots)
    request = VideoRequest(prompt=prompt, subjects=tuple(subjects), **fields)
    model = catalogue.get(request.model) if request.model else None
    if model is not None:
        has_reference = has_attachment or bool(request.image_url or request.subjects)
        refusal = check_request(
            request,
            model,
            has_reference=has_reference,
            has_image=has_attachment or bool(request.image_url),
            catalogue=catalogue,
        )
        if refusal is not None:
            return refusal
    return request
