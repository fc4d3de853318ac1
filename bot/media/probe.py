"""Reading what a media file holds (every PyAV read of a clip or a recording lives here)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

import av


def probe_mp4(path: Path) -> dict:
    """What an MP4 holds: {"codec", "width", "height", "seconds", "has_audio", "pix_fmt", "frames"}."""
    with av.open(str(path)) as container:
        if not container.streams.video:
            raise ValueError(f"{path} has no video stream")
        video = container.streams.video[0]
        seconds = _seconds(container, video) or 0.0
        ctx = video.codec_context
        return {
            "codec": ctx.name,
            "width": ctx.width,
            "height": ctx.height,
            "seconds": seconds,
            "has_audio": bool(container.streams.audio),
            "pix_fmt": ctx.format.name if ctx.format else None,
            "frames": video.frames,
        }


def first_frame_jpeg(source: BinaryIO | io.RawIOBase | Path, width: int = 480, quality: int = 78) -> bytes:
    """The clip's first frame as a small JPEG (a poster), scaled down to at most `width` pixels.
    `source` may be any seekable file object, so a clip can be read in ranges without a copy."""
    with av.open(source if not isinstance(source, Path) else str(source), "r") as container:
        if not container.streams.video:
            raise ValueError("the clip has no video stream")
        frame = next(container.decode(video=0))
        image = frame.to_image()
    if image.width > width:
        image = image.resize((width, max(1, round(image.height * width / image.width))))
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def probe_video(path: Path) -> dict | None:
    """A video's {"seconds", "width", "height"} from its container header (no frame is decoded,
    so the cost does not grow with the file); None when PyAV can't read it as a video."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return None
            video = container.streams.video[0]
            return {
                "seconds": _seconds(container, video) or 0.0,
                "width": video.codec_context.width,
                "height": video.codec_context.height,
            }
    except (av.FFmpegError, OSError, ValueError):
        return None


def audio_seconds(path: Path | str) -> float | None:
    """How long the first audio stream plays, from the container header (no full decode); None
    when there is none or PyAV can't read the file."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                return None
            return _seconds(container, container.streams.audio[0])
    except (av.FFmpegError, OSError, ValueError):
        return None


def _seconds(container, stream) -> float | None:
    """A stream's length from its own header, else the container's; None when neither says."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def first_frame_png(clip: Path, dest: Path) -> Path | None:
    """Decode the clip's first video frame into a PNG at `dest`; None when it has none or can't be
    read (nothing is left at `dest` then)."""
    try:
        with av.open(str(clip)) as container:
            if container.streams.video:
                for frame in container.decode(video=0):
                    frame.to_image().save(dest, format="PNG")
                    return dest
    except (av.error.FFmpegError, OSError, ValueError):
        pass
    dest.unlink(missing_ok=True)
    return None


def read_tags(path: Path) -> dict[str, str]:
    """An MP4's container tags (comment, description, encoder ...) as any player reads them."""
    with av.open(str(path)) as container:
        return dict(container.metadata)
