"""The extra work a job does for a reference video (`--video`, `--motion`): the safe fetch to disk
and the check (type by its bytes, length and frame size from the container), for 5, 50 and
100 MB videos served by a local media server in its own process. Measured against the download
alone in the same run: time, and peak RSS growth of this process (it must not grow with the size)."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.stack import free_port, rss_kb
from bot.media.check import check_video
from bot.media.fetch import fetch_url
from bot.studio.video_inputs import VIDEO_LIMIT, VideoInputs
from tests.fakes.mp4 import write_mp4

MB = 1024 * 1024


def padded_mp4(path: Path, size: int) -> Path:
    """A real 4 s 640x360 H.264 MP4 grown to `size` bytes with a trailing `free` box (players and
    the probe skip it), so the fetch moves the whole size and the check reads a real container."""
    write_mp4(path, seconds=4.0, width=640, height=360)
    pad = size - path.stat().st_size
    with path.open("ab") as out:
        out.write(pad.to_bytes(4, "big") + b"free")
        remaining = pad - 8
        block = bytes(MB)
        while remaining > 0:
            out.write(block[: min(MB, remaining)])
            remaining -= MB
    return path


def _reset_peak() -> int:
    """Reset this process's peak RSS (Linux `clear_refs` 5) and return the current RSS in kB."""
    Path("/proc/self/clear_refs").write_text("5")
    return rss_kb(os.getpid())["VmRSS"]


async def _timed(work) -> tuple[float, float]:
    """(seconds, peak RSS growth in MB) of one awaited `work()`."""
    base = _reset_peak()
    started = time.perf_counter()
    await work()
    elapsed = time.perf_counter() - started
    peak = rss_kb(os.getpid())["VmHWM"]
    return elapsed, max(0, peak - base) / 1024


async def measure_reference_video(sizes_mb: tuple[int, ...] = (5, 50, 100), repeats: int = 5) -> dict:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-refvideo-") as tmp:
        root = Path(tmp)
        served = root / "served"
        served.mkdir()
        for mb in sizes_mb:
            padded_mp4(served / f"ref-{mb}.mp4", min(mb * MB, VIDEO_LIMIT))
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(served)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            await _wait_for_port(port)
            inputs = VideoInputs(root / "inputs", token="", slack_file_hosts=(), allow_private=True)
            # one unmeasured round first: imports, PyAV's codecs and the allocator's arenas settle
            warm = await inputs.fetch(f"http://127.0.0.1:{port}/ref-{sizes_mb[0]}.mp4", None, motion=False)
            Path(warm["path"]).unlink(missing_ok=True)
            for mb in sizes_mb:
                url = f"http://127.0.0.1:{port}/ref-{mb}.mp4"
                fetched, checked, whole = [], [], []
                for n in range(repeats):
                    dest = root / f"plain-{mb}-{n}"

                    async def download(url=url, dest=dest) -> None:
                        await fetch_url(url, dest, kind="video", max_bytes=VIDEO_LIMIT, allow_private=True)

                    async def check(dest=dest) -> None:  # what VideoInputs.fetch runs after the download
                        await asyncio.to_thread(check_video, dest, max_bytes=VIDEO_LIMIT, max_seconds=10)

                    fetched.append(await _timed(download))
                    checked.append(await _timed(check))
                    dest.unlink(missing_ok=True)
                    holder: dict = {}

                    async def job_work(url=url, holder=holder) -> None:  # the real path, end to end
                        holder.update(await inputs.fetch(url, None, motion=False))

                    whole.append(await _timed(job_work))
                    Path(holder["path"]).unlink(missing_ok=True)
                plain_s = statistics.median(t for t, _ in fetched)
                check_s = statistics.median(t for t, _ in checked)
                rows.append(
                    {
                        "video_mb": mb,
                        "download_ms": round(plain_s * 1000, 1),
                        "check_ms": round(check_s * 1000, 1),
                        "fetch_check_ms": round(statistics.median(t for t, _ in whole) * 1000, 1),
                        "time_ratio": round((plain_s + check_s) / plain_s, 3) if plain_s else None,
                        "download_growth_mb": round(max(g for _, g in fetched), 1),
                        "check_growth_mb": round(max(g for _, g in checked), 1),
                        "fetch_check_growth_mb": round(max(g for _, g in whole), 1),
                    }
                )
        finally:
            server.terminate()
            server.wait(timeout=10)
    return {"name": "reference_video", "rows": rows}


async def _wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError(f"the media server did not start on port {port}")


if __name__ == "__main__":
    print(asyncio.run(measure_reference_video()))
