"""A real, small H.264 MP4 for stand-in providers to serve as their result."""

from __future__ import annotations

import functools
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

AUDIO_RATE = 44_100


def write_mp4(
    path: Path,
    *,
    seconds: float = 1.0,
    width: int = 320,
    height: int = 180,
    fps: int = 12,
    audio: bool = False,
    tone: float = 440.0,
) -> Path:
    """Encode a moving gradient as H.264 to `path` (frame i's blue is i x 20, mod 256, so a test can
    tell frames apart); with `audio`, a mono 44.1 kHz AAC sine at `tone` Hz beside it."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, fps)
        sound = container.add_stream("aac", rate=AUDIO_RATE, layout="mono") if audio else None
        sent = 0
        x = np.linspace(0, 255, width, dtype=np.float32)
        for i in range(max(1, round(seconds * fps))):
            row = ((x + i * 8) % 256).astype(np.uint8)
            img = np.empty((height, width, 3), dtype=np.uint8)
            img[..., 0] = row
            img[..., 1] = row[::-1]
            img[..., 2] = (i * 20) % 256
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
            if sound is not None:
                end = round((i + 1) / fps * AUDIO_RATE)
                t = np.arange(sent, end, dtype=np.float64) / AUDIO_RATE
                wave = (0.3 * np.sin(2 * np.pi * tone * t)).astype(np.float32)[None, :]
                chunk = av.AudioFrame.from_ndarray(wave, format="fltp", layout="mono")
                chunk.sample_rate, chunk.pts, sent = AUDIO_RATE, sent, end
                container.mux(sound.encode(chunk))
        for packet in stream.encode():
            container.mux(packet)
        if sound is not None:
            container.mux(sound.encode())
    return path


@functools.cache
def sample_mp4() -> Path:
    """One shared 1-second clip per test session."""
    path = Path(tempfile.mkdtemp(prefix="dailies-mp4-")) / "sample.mp4"
    return write_mp4(path)
