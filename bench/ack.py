"""Ack latency of signed `/video` POSTs with 0, 100 and 1,000 jobs in flight, and the serving
process's RSS once 1,000 jobs are in flight (Kling stand-in that never finishes)."""

from __future__ import annotations

import asyncio
import statistics

from bench.stack import Stage, stage, wait_until

PROMPT = "a lighthouse keeper walks the pier at dusk, slow dolly in"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


async def _fill(st: Stage, target: int, start: int) -> None:
    """Put jobs in flight until `target` are running, each in its own channel (Slack's posting
    rate is per channel), a few dozen requests at a time."""
    gate = asyncio.Semaphore(32)

    async def one(n: int) -> None:
        async with gate:
            status, _ = await st.video(PROMPT, channel=f"CFILL{n:05d}")
            if status != 200:
                raise RuntimeError(f"/video answered HTTP {status}")

    await asyncio.gather(*(one(n) for n in range(start, target)))
    await wait_until(lambda: _steady(st, target), 300, f"{target} jobs in flight", every=0.5)
    await asyncio.sleep(1.0)


async def _steady(st: Stage, n: int) -> bool:
    """All `n` jobs are rendering: submitted to the provider and their cards posted."""
    cards = st.slack.count("chat.postMessage")
    return len(st.kling.creates) >= n and cards >= n and await st.in_flight() >= n


async def _probe(st: Stage, count: int, level: int) -> list[float]:
    """Sequential signed /video POSTs; every one is a real request that starts a job."""
    latencies = []
    for n in range(count):
        status, seconds = await st.video(PROMPT, channel=f"CPROBE{level}x{n}")
        if status != 200:
            raise RuntimeError(f"/video answered HTTP {status}")
        latencies.append(seconds)
    return latencies


async def measure_ack(*, levels: tuple[int, ...] = (0, 100, 1000), probes: int = 100) -> dict:
    rows: list[dict] = []
    async with stage(DAILIES_BACKEND_CONCURRENCY="5000") as st:
        filled = 0
        for level in levels:
            if level > filled:
                await _fill(st, level, filled)
                filled = level
            in_flight = await st.in_flight()
            latencies = await _probe(st, probes, level)
            filled += probes
            rows.append(
                {
                    "in_flight": in_flight,
                    "p50_ms": round(percentile(latencies, 50) * 1000, 1),
                    "p99_ms": round(percentile(latencies, 99) * 1000, 1),
                    "mean_ms": round(statistics.mean(latencies) * 1000, 1),
                    "probes": probes,
                }
            )
        await asyncio.sleep(2)  # let the last probes' jobs start too
        rss = st.rss()
        in_flight = await st.in_flight()
        polls = st.kling.polls
    return {
        "name": "ack",
        "levels": rows,
        "rss_in_flight": in_flight,
        "rss_mb": round(rss["VmRSS"] / 1024, 1),
        "peak_rss_mb": round(rss["VmHWM"] / 1024, 1),
        "kling_polls": polls,
    }


if __name__ == "__main__":
    print(asyncio.run(measure_ack()))
