"""Ack latency of `/video` while 1,000 jobs are starting at once (their submits, card posts and
first edits all under way), with the stand-ins in their own process so only the bot is measured."""

from __future__ import annotations

import asyncio
import statistics
import time

from bench.ack import PROMPT, percentile
from bench.stack import Stage, stage


async def _burst(st: Stage, jobs: int) -> None:
    """Send `jobs` /video commands, 32 at a time, each in its own channel."""
    gate = asyncio.Semaphore(32)

    async def one(n: int) -> None:
        async with gate:
            status, _ = await st.video(PROMPT, channel=f"CBURST{n:05d}")
            if status != 200:
                raise RuntimeError(f"/video answered HTTP {status}")

    await asyncio.gather(*(one(n) for n in range(jobs)))


async def _started(st: Stage, jobs: int) -> bool:
    stats = await st.remote.stats(st.session)
    return stats["creates"] >= jobs and stats["posts"] >= jobs


async def measure_burst(*, jobs: int = 1000, min_probes: int = 100, timeout: float = 300.0) -> dict:
    """Probe sequentially from the first burst request until every burst job is submitted and has
    its card (and at least `min_probes` probes were taken)."""
    async with stage(remote=True, DAILIES_BACKEND_CONCURRENCY="5000") as st:
        begun = time.monotonic()
        burst = asyncio.create_task(_burst(st, jobs))
        latencies: list[float] = []
        done_at, sent = None, None
        while len(latencies) < min_probes or done_at is None:
            if time.monotonic() - begun > timeout:
                burst.cancel()
                stats = await st.remote.stats(st.session)
                raise RuntimeError(f"{jobs} jobs did not all start within {timeout:g} s: {stats}")
            status, seconds = await st.video(PROMPT, channel=f"CPROBEB{len(latencies)}")
            if status != 200:
                raise RuntimeError(f"/video answered HTTP {status}")
            latencies.append(seconds)
            if burst.done() and sent is None:
                sent = len(latencies)  # the jobs to wait for: the burst's and the probes' so far
            if done_at is None and sent is not None and await _started(st, jobs + sent):
                done_at = time.monotonic() - begun
        await burst
        rss = st.rss()
    return {
        "name": "burst",
        "jobs": jobs,
        "probes": len(latencies),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "mean_ms": round(statistics.mean(latencies) * 1000, 1),
        "started_s": round(done_at, 1),
        "peak_rss_mb": round(rss["VmHWM"] / 1024, 1),
    }


if __name__ == "__main__":
    print(asyncio.run(measure_burst()))
