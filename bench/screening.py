"""Serving a 300 MB clip to the screening room with seeking: the serving process's RSS growth
while a player reads the whole clip and seeks around it, and the time to the first byte of each
ranged answer (relayed from the Slack stand-in's copy, never stored by the bot)."""

from __future__ import annotations

import asyncio
import random
import re
import statistics
import time
from urllib.parse import urlsplit

import aiohttp

from bench.rss import _sample_peak
from bench.stack import Stage, sparse_file, stage

MB = 1024 * 1024
PUBLIC = "https://dailies.bench.example"


async def _delivered(st: Stage) -> None:
    await st.video("a lighthouse keeper walks the pier at dusk", channel="C0ROOM")
    deadline = time.monotonic() + 300
    while not _card_link(st):
        if time.monotonic() > deadline or st.proc.poll() is not None:
            raise RuntimeError(f"no screening-room link on the card:\n{st.stderr_path.read_text()[-2000:]}")
        await asyncio.sleep(0.1)


def _card_link(st: Stage) -> str | None:
    for message in st.slack.messages.get("C0ROOM", []):
        for block in message.get("blocks") or ():
            for element in block.get("elements") or ():
                if element.get("action_id") == "screening_room":
                    return element["url"]
    return None


async def _read(
    session: aiohttp.ClientSession, url: str, first: int, last: int | str = ""
) -> tuple[float, int]:
    """One ranged GET read to its end, slowly as a player does; (seconds to first byte, bytes)."""
    started = time.perf_counter()
    async with session.get(url, headers={"Range": f"bytes={first}-{last}"}) as resp:
        if resp.status != 206:
            raise RuntimeError(f"expected 206, got {resp.status}")
        first_byte, size = None, 0
        async for chunk in resp.content.iter_chunked(256 * 1024):
            first_byte = first_byte or time.perf_counter() - started
            size += len(chunk)
        return first_byte or 0.0, size


async def measure_screening(clip_mb: int = 300, seeks: int = 20) -> dict:
    size = clip_mb * MB
    async with stage(render_seconds=0.0, DAILIES_POLL_SECONDS="0.5", DAILIES_PUBLIC_URL=PUBLIC) as st:
        st.kling.result_file = sparse_file(st.tmp / "clip.mp4", size)
        await _delivered(st)
        page_url = st.url + urlsplit(_card_link(st)).path
        async with st.session.get(page_url) as resp:
            html = await resp.text()
        clip_url = st.url + re.search(r'<source src="([^"]+\.mp4)"', html).group(1)
        await asyncio.sleep(1.0)  # let the process settle after the delivery
        base = st.rss()["VmRSS"]
        stop = asyncio.Event()
        sampler = asyncio.create_task(_sample_peak(st.proc.pid, stop))
        ttfb = []
        try:
            first, whole = await _read(st.session, clip_url, 0)  # the player reads on from the start
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{st.stderr_path.read_text()[-3000:]}") from None
        ttfb.append(first)
        rng = random.Random(18)
        for _ in range(seeks):  # then scrubs: a few MB from wherever the playhead lands
            at = rng.randrange(0, size - 4 * MB)
            t, _ = await _read(st.session, clip_url, at, at + 4 * MB - 1)
            ttfb.append(t)
        t, _ = await _read(st.session, clip_url, size - 64 * 1024)  # the MP4 index at the end
        ttfb.append(t)
        stop.set()
        peak = await sampler
        if whole != size:
            raise RuntimeError(f"the page received {whole} bytes of {size}")
    return {
        "name": "screening",
        "clip_mb": clip_mb,
        "seeks": seeks,
        "growth_mb": round((peak - base) / 1024, 1),
        "ttfb_p50_ms": round(statistics.median(ttfb) * 1000, 1),
        "ttfb_max_ms": round(max(ttfb) * 1000, 1),
    }


if __name__ == "__main__":
    print(asyncio.run(measure_screening()))
