"""What a media file really is (magic bytes, not its name or Content-Type), and whether a
provider will take it: image size and aspect limits, audio length. Pure functions on bytes/paths."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from bot.media.probe import audio_seconds, probe_video
from bot.outcomes import UserError

# Above this many pixels Pillow is not asked to do anything with the file (a decompression bomb:
# a few KB of PNG can declare a 100 000 × 100 000 canvas). 50 MP is well above any provider's need.
MAX_IMAGE_PIXELS = 50_000_000

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})
# An .m4a is often branded like any MP4 ("isom"), so a video/mp4 container is plausible audio;
# `check_audio` then insists on an audio stream.
AUDIO_TYPES = frozenset({"audio/mpeg", "audio/wav", "audio/mp4", "audio/aac", "video/mp4"})
ACCEPTED = {"image": IMAGE_TYPES, "audio": AUDIO_TYPES, "video": VIDEO_TYPES}

# Content-Type headers that say nothing about the bytes; the magic bytes decide.
_NEUTRAL_CONTENT_TYPES = frozenset(
    {"", "application/octet-stream", "binary/octet-stream", "application/binary", "application/mp4"}
)
_QUICKTIME_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


class MediaRejected(UserError):
    """The file is not something a provider will take; `message` is written for the Slack user."""


@dataclass(frozen=True)
class ImageInfo:
    mime: str
    width: int
    height: int
    size: int


@dataclass(frozen=True)
class VideoInfo:
    mime: str
    seconds: float
    width: int
    height: int
    size: int


@dataclass(frozen=True)
class AudioInfo:
    mime: str
    seconds: float
    size: int


def sniff(head: bytes) -> str | None:
    """The media type the first bytes of a file announce (at least 16 bytes for the containers)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "video/quicktime"
        if brand in (b"M4A ", b"M4B ", b"M4P "):
            return "audio/mp4"
        return "video/mp4"
    if head[4:8] in _QUICKTIME_ATOMS:
        return "video/quicktime"
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    if head.startswith(b"ADIF"):
        return "audio/aac"
    if len(head) >= 2 and head[0] == 0xFF:
        # MPEG audio frame sync is 11 set bits; the two layer bits are 00 for ADTS (AAC), else MP1-3.
        if head[1] & 0xF6 == 0xF0:
            return "audio/aac"
        if head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
            return "audio/mpeg"
    return None


def accepts(kind: str, mime: str | None) -> bool:
    """Whether a sniffed type is acceptable where a `kind` ("image", "audio", "video", "text") is
    wanted; text (a CSV) is what announces no media type (its bytes are checked as it is read)."""
    if kind == "text":
        return mime is None
    return mime is not None and mime in ACCEPTED.get(kind, frozenset())


def plausible_content_type(content_type: str | None, kind: str) -> bool:
    """Whether a server's Content-Type could be a `kind` file; the magic bytes are checked later."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime in _NEUTRAL_CONTENT_TYPES:
        return True
    major = mime.split("/", 1)[0]
    return major == kind or (kind == "audio" and major == "video")


def describe_size(size: int) -> str:
    """Bytes in the unit a person expects ("12.5 MB", "800 KB")."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(size / 1024))} KB"


def _read_head(path: Path, n: int = 64) -> bytes:
    with path.open("rb") as f:
        return f.read(n)


def check_image(
    path: Path,
    *,
    max_bytes: int = 10 * 1024 * 1024,
    min_side: int = 300,
    min_aspect: float = 1 / 2.5,
    max_aspect: float = 2.5,
    model_name: str = "Kling",
) -> ImageInfo:
    """Check an image file against a provider's limits; raise `MediaRejected` saying what to fix."""
    size, mime = _size_and_type(
        path, max_bytes, IMAGE_TYPES,
        too_big=lambda size: f"The image is {size}; {model_name} takes images up to {describe_size(max_bytes)}.",
        not_that="That file isn't a PNG, JPEG, WebP or GIF image.",
    )  # fmt: skip
    width, height = _image_dimensions(path)
    if min(width, height) < min_side:
        raise MediaRejected(
            f"The image is {width}×{height} px; {model_name} needs at least {min_side} px on each side."
        )
    aspect = width / height
    if not min_aspect <= aspect <= max_aspect:
        raise MediaRejected(
            f"The image is {width}×{height} px; {model_name} needs an aspect ratio between "
            f"1:{1 / min_aspect:g} and {max_aspect:g}:1. Crop it closer to the video's shape."
        )
    return ImageInfo(mime=mime, width=width, height=height, size=size)


def _image_dimensions(path: Path) -> tuple[int, int]:
    # Image.open only reads the header; the pixel count is checked before anything decodes.
    # Pillow's own bomb check is a warning below 2× its limit, so make it an error here.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                width, height = img.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise MediaRejected(f"The image is {width}×{height} px, too large to process.")
                img.verify()  # structural check (PNG chunk CRCs, truncation) without decoding pixels
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaRejected("The image is too large to process.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise MediaRejected("That image file is damaged or incomplete; try exporting it again.") from None
    if width < 1 or height < 1:
        raise MediaRejected("That image file is damaged or incomplete; try exporting it again.")
    return width, height


def check_audio(
    path: Path,
    *,
    max_bytes: int = 5 * 1024 * 1024,
    min_seconds: float = 2,
    max_seconds: float = 300,
) -> AudioInfo:
    """Check an audio file (MP3, WAV, M4A, AAC): type by magic bytes, duration by decoding its header."""
    size, mime = _size_and_type(
        path, max_bytes, AUDIO_TYPES,
        too_big=lambda size: f"The audio file is {size}; the limit is {describe_size(max_bytes)}.",
        not_that="That file isn't MP3, WAV, M4A or AAC audio.",
    )  # fmt: skip
    seconds = audio_seconds(path)
    if seconds is None:
        raise MediaRejected("I couldn't read any audio in that file; try exporting it as MP3 or WAV.")
    if not min_seconds <= seconds <= max_seconds:
        raise MediaRejected(
            f"The audio is {seconds:.1f} s long; it needs to be between {min_seconds:g} and {max_seconds:g} s."
        )
    return AudioInfo(mime=mime, seconds=seconds, size=size)


def _size_and_type(
    path: Path, max_bytes: int, accepted: frozenset[str], *, too_big: Callable[[str], str], not_that: str
) -> tuple[int, str]:
    """The file's size and type by its magic bytes, checked first (they cost nothing to read);
    `too_big` words the refusal from the file's size as people read it."""
    size = path.stat().st_size
    if size > max_bytes:
        raise MediaRejected(too_big(describe_size(size)))
    mime = sniff(_read_head(path))
    if mime not in accepted:
        raise MediaRejected(not_that)
    return size, mime


def check_video(
    path: Path,
    *,
    max_bytes: int = 100 * 1024 * 1024,
    min_seconds: float = 3,
    max_seconds: float = 30,
    min_side: int = 340,
    max_side: int = 3850,
    what: str = "The reference video",
) -> VideoInfo:
    """Check a reference video (MP4 or MOV by its bytes) against Kling's limits: size, length and
    frame size, read from the container header; raise `MediaRejected` saying what to fix."""
    size, mime = _size_and_type(
        path, max_bytes, VIDEO_TYPES,
        too_big=lambda size: f"{what} is {size}; the limit is {describe_size(max_bytes)}.",
        not_that=f"{what} isn't an MP4 or MOV file.",
    )  # fmt: skip
    info = probe_video(path)
    if info is None or not info["width"] or not info["height"]:
        raise MediaRejected(f"I couldn't read any video in that file; export {what.lower()} as MP4 again.")
    seconds, width, height = info["seconds"], info["width"], info["height"]
    if not min_seconds <= seconds <= max_seconds:
        raise MediaRejected(
            f"{what} is {seconds:.1f} s long; it needs to be between {min_seconds:g} and {max_seconds:g} s."
        )
    if min(width, height) < min_side or max(width, height) > max_side:
        raise MediaRejected(
            f"{what} is {width}×{height} px; each side needs to be between {min_side} and {max_side} px."
        )
    return VideoInfo(mime=mime, seconds=seconds, width=width, height=height, size=size)
