"""Lip-sync and voices, pure: the `lipsync "line"` reply, the limits Kling's face identification,
lip-sync and custom voices set, and what a lip-sync costs."""

from __future__ import annotations

import math

from bot.outcomes import Refusal
from bot.request.commands import MAX_SCRIPT, ThreadInstruction
from bot.request.flags import split_flags
from bot.request.lexer import Token, words
from bot.request.values import subject_name, url

LIPSYNC_WORDS = ("lipsync", "lip-sync", "lipsynch")
LIPSYNC_FLAGS = frozenset({"--audio-url"})
USAGE = '`lipsync "line to say"`, `lipsync {subject} "line"` (their voice), or `lipsync` with an audio file attached'

SPEECH_SECONDS = (2.0, 60.0)  # the speech lip-sync takes (sound_file / audio_id)
CLIP_SECONDS = (2.0, 60.0)  # the clip face identification takes (video_url)
CLIP_SIDES = (512, 2160)  # each side of that clip, in px (720p or 1080p)
VOICE_SECONDS = (5.0, 30.0)  # a custom voice's sample
WORDS_PER_SECOND = 2.5  # a speaking pace, to tell before any call how long a line takes

# Kling's list prices: lip-sync per started 5 s, face identification, TTS and
# custom voice per call.
LIPSYNC_PER_5S, FACE_CALL, TTS_CALL = 0.07, 0.007, 0.007


def spoken_seconds(script: str) -> float:
    """About how long a line takes to say."""
    return round(len(script.split()) / WORDS_PER_SECOND, 1)


def lipsync_cost(seconds: float, *, script: bool) -> float:
    """USD for lip-syncing `seconds` of speech: started 5 s blocks, the face look-up, any TTS."""
    total = LIPSYNC_PER_5S * max(1, math.ceil(seconds / 5)) + FACE_CALL + (TTS_CALL if script else 0.0)
    return round(total + 1e-9, 2)


def script_problem(script: str) -> str | None:
    """Why a line can't be lip-synced (too long to say, too short), or None."""
    lo, hi = SPEECH_SECONDS
    if len(script) > MAX_SCRIPT:
        return f"A lip-sync line can be at most {MAX_SCRIPT:,} characters; this one is {len(script):,}."
    said = spoken_seconds(script)
    if said > hi:
        return (
            f"That line takes about {said:g} s to say, and lip-sync takes {lo:g} to {hi:g} s of speech. "
            "Shorten it, or split it over two versions."
        )
    return None


def clip_problem(version: int, seconds: float | None, width: int | None, height: int | None) -> str | None:
    """Why a delivered clip can't be lip-synced (its length or frame size), or None."""
    lo, hi = CLIP_SECONDS
    if seconds is not None and not lo <= seconds <= hi:
        return f"v{version} is {seconds:.1f} s long; lip-sync works on clips of {lo:g} to {hi:g} s."
    small, large = CLIP_SIDES
    if width and height and (min(width, height) < small or max(width, height) > large):
        return (
            f"v{version} is {width}×{height} px; lip-sync takes 720p or 1080p clips ({small} to {large} px "
            "a side). Render a 720p or 1080p version first."
        )
    return None


def speech_fits(version: int, speech: float, clip: float | None) -> str | None:
    """Why `speech` seconds don't fit in the clip (the sound must end before the clip does), or None."""
    lo, hi = SPEECH_SECONDS
    if not lo <= speech <= hi:
        return f"The speech is {speech:.1f} s long; lip-sync takes {lo:g} to {hi:g} s."
    if clip is not None and speech > clip + 0.05:
        return (
            f"The speech takes about {speech:.1f} s, longer than v{version} ({clip:.1f} s). Shorten the line, "
            "or lip-sync a longer version (`extend …` first)."
        )
    return None


def parse_lipsync(rest: list[Token], version: int | None) -> ThreadInstruction | Refusal:
    """The words after `lipsync`: `[{subject}] "line"` or `--audio-url URL` (or an attached file)."""
    split = split_flags(rest, LIPSYNC_FLAGS, "in a `lipsync` reply")
    if isinstance(split, Refusal):
        return split
    flags, spoken = split
    voice = None
    if spoken and spoken[0].value.startswith("{") and spoken[0].value.endswith("}") and not spoken[0].quoted:
        voice = subject_name(spoken[0].value)
        spoken = spoken[1:]
    audio_url = url(flags["--audio-url"][0].value, "--audio-url") if "--audio-url" in flags else None
    script = words(spoken) if spoken else ""
    # the first refusal, in this order (each test narrows its value for what follows)
    if isinstance(voice, Refusal):
        return voice
    if isinstance(audio_url, Refusal):
        return audio_url
    if isinstance(script, Refusal):
        return script
    if script and audio_url:
        return Refusal(f"Give the lip-sync either a line or an audio file, not both: {USAGE}.")
    if audio_url and voice:
        return Refusal("A voice says a line: drop the `{subject}` when you give an audio file.")
    if script and (problem := script_problem(script)):
        return Refusal(problem)
    return ThreadInstruction("lipsync", script, version, audio_url=audio_url, voice=voice)
