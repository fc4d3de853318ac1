"""RSS growth of the serving process while it delivers one clip of 10, 100 and 300 MB, beside the
same upload through slack_sdk's files_upload_v2 in a separate process; and the bot's overhead per
clip (provider success → files.completeUploadExternal, minus the time the bytes were on the wire)."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from bench.stack import BOT_TOKEN, ROOT, Stage, rss_kb, sparse_file, stage

MB = 1024 * 1024

# Runs in its own process: the whole upload through files_upload_v2, then its own peak RSS growth.
SDK_SCRIPT = """
import sys
from pathlib import Path
from slack_sdk import WebClient

def rss(key):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])

client = WebClient(token=sys.argv[1], base_url=sys.argv[2])
client.auth_test()
base = rss("VmRSS")
client.files_upload_v2(file=sys.argv[3], filename="clip.mp4", title="clip", channel="C0SDK")
print(rss("VmHWM") - base)
"""


async def _sample_peak(pid: int, stop: asyncio.Event) -> int:
    peak = 0
    while not stop.is_set():
        try:
            peak = max(peak, rss_kb(pid)["VmRSS"])
        except (FileNotFoundError, KeyError):
            break
        await asyncio.sleep(0.01)
    return peak


async def _bot_delivery(st: Stage, size: int) -> dict:
    await asyncio.sleep(1.0)  # let the process settle after start-up
    base = st.rss()
    stop = asyncio.Event()
    sampler = asyncio.create_task(_sample_peak(st.proc.pid, stop))
    await st.video("a lighthouse keeper walks the pier at dusk", channel="C0RSS")
    deadline = time.monotonic() + 300
    while st.slack.count("files.completeUploadExternal") < 1:
        if st.slack.responses:  # the bot answered the requester: it refused or failed
            raise RuntimeError(f"/video was answered instead of delivered: {st.slack.responses[-1]}")
        if time.monotonic() > deadline or st.proc.poll() is not None:
            raise RuntimeError(f"the clip was not delivered:\n{st.stderr_path.read_text()[-2000:]}")
        await asyncio.sleep(0.05)
    stop.set()
    peak = await sampler
    uploaded = next(iter(st.slack.uploads.values()))
    if uploaded.size != size:
        raise RuntimeError(f"Slack received {uploaded.size} bytes of {size}")
    return {
        "bot_growth_mb": round((peak - base["VmRSS"]) / 1024, 1),
        "overhead_ms": round(_overhead(st) * 1000, 1),
    }


def _overhead(st: Stage) -> float:
    """Seconds the bot itself spent between the provider's success and the share, off the wire."""
    (task_id, succeeded), *_ = st.kling.succeeded_at.items()
    down_start, down_end = st.kling.download_span[task_id]
    complete = st.slack.calls_to("files.completeUploadExternal")[0].at
    upload = st.slack.calls_to("upload")[-1]
    up_start = st.slack.upload_started[upload.params["file_id"]]
    wire = (down_end - down_start) + (upload.at - up_start)
    return complete - succeeded - wire


async def _sdk_delivery(st: Stage, path: Path) -> float:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SDK_SCRIPT,
        BOT_TOKEN,
        st.slack.api_url,
        str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"files_upload_v2 failed: {err.decode()[-1500:]}")
    return round(int(out.decode().split()[-1]) / 1024, 1)


async def measure_delivery(sizes_mb: tuple[int, ...] = (10, 100, 300)) -> dict:
    rows = []
    for size_mb in sizes_mb:
        size = size_mb * MB
        async with stage(render_seconds=0.0, DAILIES_POLL_SECONDS="0.5") as st:
            clip = sparse_file(st.tmp / "clip.mp4", size)
            st.kling.result_file = clip
            bot = await _bot_delivery(st, size)
            sdk = await _sdk_delivery(st, clip)
        rows.append(
            {
                "clip_mb": size_mb,
                **bot,
                "sdk_growth_mb": sdk,
                "ratio": round(sdk / bot["bot_growth_mb"], 1) if bot["bot_growth_mb"] > 0 else None,
            }
        )
    return {"name": "delivery", "rows": rows}


if __name__ == "__main__":
    print(asyncio.run(measure_delivery()))
