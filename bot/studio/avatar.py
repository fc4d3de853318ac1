"""Talking avatars: `/video avatar {subject} "script"` (or an audio file) into a stored avatar job."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from bot.media.check import MediaRejected, check_audio
from bot.media.fetch import fetch_slack_file, fetch_url
from bot.media.netpolicy import FetchRefused
from bot.providers.base import Mode, Provider
from bot.request import Avatar
from bot.request.catalogue import estimate_cost, get_model
from bot.studio.subjects import Library, Unresolved
from storage import jobs as jobs_db

AUDIO_LIMIT = 5 * 1024 * 1024
WORDS_PER_SECOND = 2.5  # a speaking pace, to estimate what a script costs
SPEAKS_SCRIPT = frozenset({"kling", "preview"})  # backends that can turn a script into speech
AUDIO_TYPES = ("audio/", "video/mp4")
NEEDS_AUDIO = (
    "`{model}` runs on {backend} here, which can't speak a script: attach an audio file (mp3, wav, "
    "m4a or aac, 2 to 300 s, at most 5 MB) when you mention me, or give one with `--audio-url URL`."
)


def script_seconds(script: str) -> float:
    """About how long a script takes to say. Pure."""
    return max(2.0, round(len(script.split()) / WORDS_PER_SECOND, 1))


async def fetch_audio(
    url: str | None,
    file: dict | None,
    dest_dir: Path,
    *,
    token: str,
    allow_private: bool,
    hosts: tuple[str, ...],
) -> dict:
    """Fetch and check the avatar's audio; returns the stored request's "speech" with its seconds."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / f"audio-{random.getrandbits(64):016x}"
    if file is not None:
        fetched = await fetch_slack_file(
            file, dest, token=token, kind="audio", max_bytes=AUDIO_LIMIT, allowed_hosts=hosts,
            extra_allowed_hosts=hosts,  # "host:port" entries (the tests' stand-in)
        )  # fmt: skip
        url = None  # Slack's URLs need our token: backends get the bytes instead
    else:
        fetched = await fetch_url(url, dest, kind="audio", max_bytes=AUDIO_LIMIT, allow_private=allow_private)
    try:
        info = await asyncio.to_thread(check_audio, fetched.path, max_bytes=AUDIO_LIMIT)
    except MediaRejected:
        fetched.path.unlink(missing_ok=True)
        raise
    return {"url": url, "path": str(fetched.path), "mime": info.mime, "seconds": info.seconds}


async def avatar_job(
    cmd: Avatar,
    *,
    channel_id: str,
    user_id: str,
    team_id: str,
    source_key: str,
    files: tuple[dict, ...],
    library: Library,
    backend: str,
    provider: Provider,
    inputs_dir: Path,
) -> jobs_db.NewJob | str:
    """The avatar job to store, or a message for the user saying what to fix."""
    model = get_model(cmd.model or "kling-avatar-pro")
    if model is None:
        return f"`{cmd.model}` is not a model I know; see `/video models`."
    availability = provider.availability(model.id, Mode.AVATAR)
    if not availability.ok:
        hint = f" Try `--model {availability.suggestion}`." if availability.suggestion else ""
        return f"`{model.id}` can't run here: {availability.reason}.{hint}"
    try:
        (subject,) = await library.resolve(channel_id, (cmd.subject,))
    except Unresolved as exc:
        return exc.message
    if not subject["images"]:
        return f"`{{{subject['name']}}}` has no image to animate; add one with `/video subject add`."
    audio_files = [f for f in files if (f.get("mimetype") or "").startswith(AUDIO_TYPES)]
    speech = None
    if cmd.audio_url or audio_files:
        try:
            speech = await fetch_audio(
                cmd.audio_url, None if cmd.audio_url else audio_files[0], inputs_dir,
                token=library.token, allow_private=library.allow_private, hosts=library.slack_file_hosts,
            )  # fmt: skip
        except (FetchRefused, MediaRejected) as exc:
            return f"The avatar's audio was not used: {exc.message}"
    elif not cmd.script:
        return (
            "Give the avatar a script in quotes, an audio link (`--audio-url URL`), or attach an audio file."
        )
    elif backend not in SPEAKS_SCRIPT:
        return NEEDS_AUDIO.format(model=model.id, backend=backend)
    script = None if speech else cmd.script
    seconds = speech["seconds"] if speech else script_seconds(script or "")
    estimate = 0.0
    if backend != "preview":
        estimate = estimate_cost(model, seconds=seconds, resolution=model.default_resolution, audio=True)
    frontal = {**subject, "images": subject["images"][:1]}
    request = {
        "mode": Mode.AVATAR.value,
        "prompt": "",
        "seconds": None,
        "aspect": None,
        "resolution": model.default_resolution,
        "audio": True,
        "script": script,
        "speech": speech,
        "subjects": [frontal],
    }
    said = f'"{script}"' if script else "(speaks the attached audio)"
    return jobs_db.NewJob(
        channel_id=channel_id,
        team_id=team_id,
        user_id=user_id,
        kind="avatar",
        model=model.id,
        backend=backend,
        request=request,
        takes=1,
        estimate_usd=round(estimate, 2),
        source_key=source_key,
        title=f"{{{subject['name']}}} says {said}",
    )
