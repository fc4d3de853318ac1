"""Media the Kling stand-in fetches and reads as Kling does: a URL (or raw base64) into a file,
its length and frame size read from the container."""

from __future__ import annotations

import base64
import binascii
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import av
import httpx

from tests.fakes.kling_checks import Reject


@asynccontextmanager
async def fetched_media(value: str, *, max_bytes: int) -> AsyncIterator[Path]:
    """`value` (a URL Kling fetches, or raw base64) as a temporary file; 400/1201 when unusable."""
    with tempfile.TemporaryDirectory(prefix="fake-kling-") as tmp:
        path = Path(tmp) / "media"
        if value.startswith(("http://", "https://")):
            async with httpx.AsyncClient(timeout=10) as client:
                response = await client.get(value)
            if response.status_code != 200:
                raise Reject(400, 1201, f"could not fetch {value} (HTTP {response.status_code})")
            data = response.content
        else:
            try:
                data = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise Reject(400, 1201, "media is neither a URL nor base64") from None
        if len(data) > max_bytes:
            raise Reject(400, 1201, f"media is larger than {max_bytes} bytes")
        path.write_bytes(data)
        yield path


def media_seconds(path: Path, *, video: bool) -> tuple[float, int, int] | tuple[float] | None:
    """(seconds, width, height) of a video, or (seconds,) of the sound in any file; None if unreadable."""
    try:
        with av.open(str(path)) as container:
            streams = container.streams.video if video else container.streams.audio
            if not streams:
                return None
            stream = streams[0]
            if stream.duration is not None and stream.time_base is not None:
                seconds = float(stream.duration * stream.time_base)
            else:
                seconds = (container.duration or 0) / av.time_base
            if video:
                return seconds, stream.codec_context.width, stream.codec_context.height
            return (seconds,)
    except (av.FFmpegError, OSError, ValueError):
        return None
