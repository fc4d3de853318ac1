"""How fast the preview renderer is: one 4 s 720p animatic, timed, as a multiple of real time."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bot.media.probe import probe_mp4
from bot.providers.preview.animatic import render_animatic

PROMPT = (
    "A lighthouse keeper walks the pier at dusk while gulls circle overhead; slow dolly in, "
    "warm practical lights, light rain, 35mm film look"
)


def measure_preview_speed(
    *, seconds: float = 4.0, width: int = 1280, height: int = 720, audio: bool = False
) -> dict:
    """Render one clip into a temporary directory and report how long it took.

    `speed` is clip seconds per wall-clock second: 2.0 means a 4 s clip took 2 s to render."""
    with tempfile.TemporaryDirectory(prefix="dailies-bench-") as tmp:
        dest = Path(tmp) / "bench.mp4"
        started = time.perf_counter()
        render_animatic(
            dest,
            prompt=PROMPT,
            seconds=seconds,
            width=width,
            height=height,
            subtitle=f"preview of kling-v3 · {seconds:g} s · {width}x{height}",
            audio=audio,
            seed=7,
        )
        elapsed = time.perf_counter() - started
        info = probe_mp4(dest)
        size = dest.stat().st_size
    return {
        "name": "preview_speed",
        "clip_seconds": info["seconds"],
        "width": info["width"],
        "height": info["height"],
        "audio": audio,
        "bytes": size,
        "seconds": round(elapsed, 3),
        "speed": round(seconds / elapsed, 2),
    }


if __name__ == "__main__":
    print(measure_preview_speed())
