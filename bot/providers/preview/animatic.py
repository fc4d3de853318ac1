"""The preview renderer: an animatic MP4 (a title card over a slowly moving plate) encoded with PyAV.

The text layer is drawn once; each frame is a cheap crop-and-scale of a larger plate, so a 4 s 720p
clip renders in a few seconds on two cores. `probe_mp4` reads back what any MP4 holds.
"""

from __future__ import annotations

import colorsys
import logging
import math
import os
import tempfile
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageOps

from bot.providers.preview.titlecard import (
    bar_box,
    draw_clock,
    face,
    text_layer,
)

log = logging.getLogger(__name__)

MARGIN = 1.18  # the plate is this much larger than the frame, so the camera never upscales
AUDIO_RATE = 48_000
PROGRESS_EVERY = 6  # frames between progress reports


def render_animatic(
    dest: Path,
    *,
    prompt: str,
    seconds: float,
    width: int,
    height: int,
    fps: int = 24,
    subtitle: str = "",
    audio: bool = False,
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
    label: str = "PREVIEW",
    plate: Path | None = None,
) -> Path:
    """Encode an H.264/yuv420p MP4 of exactly `seconds` to `dest`, atomically (temp file, then rename).

    `subtitle` may hold several lines; `plate` is an image (or a video, whose first frame is used)
    to move the camera over instead of a generated background. An exception raised by `progress`
    aborts the render and leaves nothing behind."""
    if seconds <= 0 or width < 16 or height < 16 or fps < 1:
        raise ValueError(f"cannot render {seconds} s at {width}x{height}, {fps} fps")
    width, height = width // 2 * 2, height // 2 * 2  # yuv420p needs even sizes
    frames = max(1, round(seconds * fps))
    background = _plate(plate, width, height, seed)
    overlay = text_layer(width, height, prompt, subtitle, label, bottom=plate is not None)
    bar = bar_box(width, height)
    timecode_font = face(max(10, round(min(width, height) / 40)))

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, part_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.stem}.", suffix=".part")
    os.close(fd)
    part = Path(part_name)
    try:
        # faststart moves the index to the front, so Slack can start playing before the download ends
        with av.open(str(part), "w", format="mp4", options={"movflags": "+faststart"}) as container:
            video = container.add_stream("libx264", rate=fps)
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            video.time_base = Fraction(1, fps)
            video.options = {"preset": "veryfast", "crf": "23", "tune": "stillimage"}
            sound = _Soundtrack(container, seconds, seed) if audio else None
            for i in range(frames):
                t = i / max(1, frames - 1)
                frame = background.resize(
                    (width, height), Image.Resampling.BILINEAR, box=_camera(t, background, seed)
                )
                frame.paste(overlay, (0, 0), overlay)
                draw_clock(frame, bar, timecode_font, i, frames, fps)
                vf = av.VideoFrame.from_image(frame)
                vf.pts = i
                container.mux(video.encode(vf))
                if sound:
                    sound.feed_until((i + 1) / fps)
                if progress and i % PROGRESS_EVERY == 0:
                    progress(0.97 * i / frames)
            container.mux(video.encode())
            if sound:
                sound.finish()
        part.chmod(0o644)  # mkstemp makes it private; the clip is served like any other media file
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    if progress:
        progress(1.0)
    return dest


# --- the plate and the camera -----------------------------------------------------------------


def _plate(source: Path | None, width: int, height: int, seed: int) -> Image.Image:
    size = (round(width * MARGIN), round(height * MARGIN))
    picture = _load_picture(source) if source else None
    if picture is None:
        return _generated_plate(size, seed)
    return ImageOps.fit(picture, size, Image.Resampling.BICUBIC)


def _load_picture(path: Path) -> Image.Image | None:
    """An image file, or the first frame of a video (edits and extensions start from their source)."""
    try:
        with Image.open(path) as img:
            return ImageOps.exif_transpose(img).convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        pass
    try:
        with av.open(str(path)) as container:
            for frame in container.decode(video=0):
                return frame.to_image().convert("RGB")
    except (OSError, ValueError, av.FFmpegError):
        pass
    log.warning("preview: cannot read %s as an image or video; using a generated background", path.name)
    return None


def _generated_plate(size: tuple[int, int], seed: int) -> Image.Image:
    """A dusky two-colour gradient with soft light blobs, drawn small (it is all soft) and scaled up."""
    rng = np.random.default_rng(seed)
    sw, sh = max(8, size[0] // 6), max(8, size[1] // 6)
    hue = rng.random()
    c1 = np.array(colorsys.hsv_to_rgb(hue, 0.55, 0.35))
    c2 = np.array(colorsys.hsv_to_rgb((hue + 0.12 + 0.2 * rng.random()) % 1, 0.6, 0.75))
    y, x = np.mgrid[0:sh, 0:sw].astype(np.float32)
    x, y = x / sw, y / sh
    angle = rng.uniform(0, 2 * math.pi)
    t = (x - 0.5) * math.cos(angle) + (y - 0.5) * math.sin(angle) + 0.5
    img = c1 * (1 - t[..., None]) + c2 * t[..., None]
    for _ in range(6):
        cx, cy, r = rng.random(), rng.random(), rng.uniform(0.08, 0.3)
        glow = np.exp(-((x - cx) ** 2 + ((y - cy) * sh / sw) ** 2) / (r * r))
        tint = np.array(colorsys.hsv_to_rgb((hue + rng.uniform(-0.15, 0.3)) % 1, 0.4, 1.0))
        img += glow[..., None] * tint * rng.uniform(0.1, 0.3)
    vignette = 1 - 0.45 * ((x - 0.5) ** 2 + (y - 0.5) ** 2) * 2
    img = np.clip(img * vignette[..., None], 0, 1)
    small = Image.fromarray((img * 255).astype(np.uint8), "RGB")
    return small.resize(size, Image.Resampling.BICUBIC)


def _camera(t: float, plate: Image.Image, seed: int) -> tuple[float, float, float, float]:
    """The crop box at time t (0..1): an eased slow zoom (in or out) with a drift across the plate."""
    eased = t * t * (3 - 2 * t)
    zoom_in = seed % 2 == 0
    zoom = 1.03 + 0.11 * (eased if zoom_in else 1 - eased)
    pw, ph = plate.size
    vw, vh = pw / zoom, ph / zoom
    angle = (seed * 2.399963) % (2 * math.pi)  # golden angle: neighbouring seeds drift differently
    drift = (2 * eased - 1) * 0.9
    cx = pw / 2 + math.cos(angle) * drift * (pw - vw) / 2
    cy = ph / 2 + math.sin(angle) * drift * (ph - vh) / 2
    return cx - vw / 2, cy - vh / 2, cx + vw / 2, cy + vh / 2


# --- the soundtrack ---------------------------------------------------------------------------


class _Soundtrack:
    """A quiet pad chord over soft room tone, fed to an AAC stream in step with the video."""

    CHUNK = 1024  # AAC's frame size

    def __init__(self, container: av.container.OutputContainer, seconds: float, seed: int) -> None:
        self._container = container
        self._stream = container.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        self._samples = _ambience(round(seconds * AUDIO_RATE), seed)
        self._sent = 0

    def feed_until(self, seconds: float) -> None:
        end = min(len(self._samples), round(seconds * AUDIO_RATE))
        while self._sent < end:
            chunk = self._samples[self._sent : self._sent + self.CHUNK]
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
            frame.sample_rate, frame.pts = AUDIO_RATE, self._sent
            frame.time_base = Fraction(1, AUDIO_RATE)
            self._container.mux(self._stream.encode(frame))
            self._sent += len(chunk)

    def finish(self) -> None:
        self.feed_until(len(self._samples) / AUDIO_RATE)
        self._container.mux(self._stream.encode())


def _ambience(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.float32) / AUDIO_RATE
    root = 110.0 * 2 ** (rng.integers(0, 5) / 12)
    pad = sum(np.sin(2 * np.pi * root * ratio * t) / (k + 1) for k, ratio in enumerate((1, 1.5, 2, 2.52)))
    pad *= 0.05 * (0.75 + 0.25 * np.sin(2 * np.pi * 0.2 * t))
    noise = np.fft.rfft(rng.standard_normal(n))
    noise /= 1 + np.fft.rfftfreq(n, 1 / AUDIO_RATE) / 150  # darken white noise into a room hum
    room = np.fft.irfft(noise, n)
    room *= 0.02 / (np.abs(room).max() or 1)
    fade = np.minimum(1, np.minimum(t, t[-1] - t) / 0.4) if n > 1 else np.ones(n)
    return ((pad + room) * fade).astype(np.float32)
