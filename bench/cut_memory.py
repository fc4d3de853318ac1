"""The cut's memory: ten ~100 MB 1080p shots (one high-bitrate clip of noise and sound, used ten times)
assembled by bot.media.assemble in a process of its own; its peak RSS growth over the process's
baseline, after the first shot and after all ten, and its speed beside a decode-only pass of the same
frames in the same process. DAILIES_BENCH_CUT_MB sets the shot's size (--quick: 20 MB)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parent.parent  # the child runs `-m bench.cut_memory` from here
MB = 1024 * 1024
SHOTS = 10
FPS = 24
WIDTH, HEIGHT = 1920, 1080


def noise_shot(path: Path, size: int) -> Path:
    """A 1080p H.264 clip of random pixels (x264 cannot shrink it: ~2 MB a frame) with a stereo AAC
    tone, encoded until the file holds `size` bytes."""
    rng = np.random.default_rng(7)
    pictures = [rng.integers(0, 256, (HEIGHT * 3 // 2, WIDTH), dtype=np.uint8) for _ in range(3)]
    with av.open(str(path), "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "18"}
        sound = container.add_stream("aac", rate=48_000, layout="stereo")
        sent = written = 0
        for i in range(FPS * 120):
            frame = av.VideoFrame.from_ndarray(pictures[i % 3], format="yuv420p")
            frame.pts = i
            for packet in video.encode(frame):
                written += packet.size
                container.mux(packet)
            end = (i + 1) * 48_000 // FPS
            t = np.arange(sent, end) / 48_000
            wave = np.repeat((0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)[None, :], 2, axis=0)
            chunk = av.AudioFrame.from_ndarray(wave, format="fltp", layout="stereo")
            chunk.sample_rate, chunk.pts, chunk.time_base, sent = 48_000, sent, Fraction(1, 48_000), end
            container.mux(sound.encode(chunk))
            if written >= size:
                break
        container.mux(video.encode())
        container.mux(sound.encode())
    return path


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def _reset_peak() -> int:
    """Reset this process's peak RSS (Linux `clear_refs` 5); the RSS now, in kB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


def cut(shot: Path, out: Path) -> dict:
    """In a measured process of its own: the cut of ten shots."""
    from bot.media.assemble import Piece, assemble

    pieces = [Piece(shot, label=f"S{i + 1} v1") for i in range(SHOTS)]
    after_first: list[int] = []

    def progress(done: float) -> None:
        if done >= 1 / SHOTS and not after_first:
            after_first.append(_status("VmHWM"))

    base = _reset_peak()
    started = time.perf_counter()
    made = assemble(pieces, out, aspect="16:9", progress=progress)
    cut_s = time.perf_counter() - started
    peak = _status("VmHWM")
    return {
        "baseline_mb": round(base / 1024, 1),
        "growth_mb": round((peak - base) / 1024, 1),
        "growth_first_shot_mb": round(((after_first or [peak])[0] - base) / 1024, 1),
        "cut_s": round(cut_s, 1),
        "frames": sum(p.frames for p in made.placed),
        "cut_seconds": round(made.seconds, 2),
        "out_mb": round(out.stat().st_size / MB, 1),
    }


def decode(shot: Path) -> dict:
    """In a measured process of its own: the same ten shots decoded (picture and sound) and dropped,
    as the cut decodes them."""
    base = _reset_peak()
    started = time.perf_counter()
    frames = 0
    for _ in range(SHOTS):
        with av.open(str(shot)) as clip:
            for packet in clip.demux(*clip.streams.video[:1], *clip.streams.audio[:1]):
                for _frame in packet.decode():
                    frames += packet.stream.type == "video"
    return {
        "decode_s": round(time.perf_counter() - started, 1),
        "decoded": frames,
        "decode_growth_mb": round((_status("VmHWM") - base) / 1024, 1),
    }


def _child(*args: str) -> dict:
    run = subprocess.run(
        [sys.executable, "-m", "bench.cut_memory", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"bench.cut_memory {args[0]} failed:\n{run.stderr[-2000:]}")
    return json.loads(run.stdout.splitlines()[-1])


def measure_cut(shot_mb: int = 100) -> dict:
    shot_mb = int(os.environ.get("DAILIES_BENCH_CUT_MB", shot_mb))
    with tempfile.TemporaryDirectory(prefix="bench-cut-") as tmp:
        shot = noise_shot(Path(tmp) / "shot.mp4", shot_mb * MB)
        size_mb = round(shot.stat().st_size / MB, 1)
        made = _child("--cut", str(shot), str(Path(tmp) / "cut.mp4"))
        decoded = _child("--decode", str(shot))
    # throughput: frames out of the cut a second, beside frames decoded a second without the cut
    ratio = (made["frames"] / made["cut_s"]) / (decoded["decoded"] / decoded["decode_s"])
    return {"name": "cut", "shots": SHOTS, "shot_mb": size_mb, **made, **decoded, "ratio": round(ratio, 2)}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--cut"]:
        print(json.dumps(cut(Path(sys.argv[2]), Path(sys.argv[3]))))
    elif sys.argv[1:2] == ["--decode"]:
        print(json.dumps(decode(Path(sys.argv[2]))))
    else:
        print(json.dumps(measure_cut(), indent=2))
