"""A campaign against a Slack stand-in that enforces Slack's tiers: N `/video` jobs in 4 channels,
5 s clips, Kling renders of 4 s. For each card, the lag from its clip landing in the thread
(files.completeUploadExternal) to the card's first "Delivered" edit, compared with the least lag
chat.update's budget allows for the same landing times (a simulated bucket serving only final
states, first landed first served); 429s received; edits per card; ack latency meanwhile.

`scale` speeds the whole clock up (Slack's rates × scale; the card interval, poll interval and
render time ÷ scale) so that 300 jobs take minutes, not a quarter of an hour; times are reported
on the real clock (× scale) so the rows compare.
"""

from __future__ import annotations

import asyncio
import time

from bench.ack import percentile
from bench.stack import BenchSlack, stage, wait_until
from tests.fakes.slack_tiers import PER_CHANNEL, WORKSPACE, TieredSlack

CHANNELS = 4
DELIVERED = ":white_check_mark: Delivered"
# what the bot plans with (bot/slack/budget.py TIERS) for the methods a campaign uses
BOT_RATES = {
    "chat.update": (50, 10),
    "chat.postMessage": (300, 20),
    "chat.postMessage:channel": (60, 3),
    "files.getUploadURLExternal": (100, 10),
    "files.completeUploadExternal": (100, 10),
    "chat.postEphemeral": (100, 10),
}


class CampaignSlack(TieredSlack, BenchSlack):
    """The bench's Slack stand-in, enforcing the tiers (sped up by `scale`)."""

    def __init__(self, scale: float) -> None:
        super().__init__(
            workspace={m: (r * scale, b) for m, (r, b) in WORKSPACE.items()},
            per_channel={m: (r * scale, b) for m, (r, b) in PER_CHANNEL.items()},
        )


def least_lags(landed: list[float], per_minute: float, burst: float) -> list[float]:
    """Each final state's lag if chat.update's budget served nothing else, in landing order: a full
    bucket at the start, one token per final, first landed first served."""
    rate = per_minute / 60
    tokens, clock, lags = burst, min(landed, default=0.0), []
    for at in sorted(landed):
        tokens = min(burst, tokens + (max(at, clock) - clock) * rate)
        clock = max(at, clock)
        if tokens < 1:
            clock += (1 - tokens) / rate
            tokens = 1.0
        tokens -= 1
        lags.append(clock - at)
    return lags


def _summary(values: list[float], scale: float) -> dict:
    return {
        "p50": round(percentile(values, 50) * scale, 1),
        "p95": round(percentile(values, 95) * scale, 1),
        "max": round(max(values) * scale, 1),
    }


async def measure_campaign(*, jobs: int = 80, scale: float = 1.0, timeout: float = 900.0) -> dict:
    slack = CampaignSlack(scale)
    rates = ",".join(f"{m}={r * scale:g}/{b:g}" for m, (r, b) in BOT_RATES.items())
    env = {
        "DAILIES_SLACK_RATES": rates,
        "DAILIES_CARD_INTERVAL_SECONDS": f"{3.0 / scale:g}",
        "DAILIES_POLL_SECONDS": f"{5.0 / scale:g}",
        "DAILIES_BACKEND_CONCURRENCY": "1000",
    }
    async with stage(render_seconds=4.0 / scale, slack=slack, **env) as st:
        begun = time.monotonic()
        acks: list[float] = []
        loop_lags: list[float] = []  # this process's own loop lag: the stand-ins and probes share it
        ticker = asyncio.create_task(_loop_lag(loop_lags))
        for n in range(jobs):
            status, seconds = await st.video(
                f"product shot {n}, variation {n % 10} --seconds 5", channel=f"CCAMP{n % CHANNELS}"
            )
            if status != 200:
                raise RuntimeError(f"/video answered HTTP {status}")
            acks.append(seconds)

        def finals() -> dict[str, float]:
            found: dict[str, float] = {}
            for call in slack.calls_to("chat.update"):
                if str(call.params.get("text", "")).startswith(DELIVERED):
                    found.setdefault(call.params["ts"], call.at)
            return found

        async def all_final() -> bool:
            status, seconds = await st.video("help", channel="CCAMPPROBE")  # acks meanwhile
            acks.append(seconds)
            return len(finals()) >= jobs

        await wait_until(all_final, timeout, f"{jobs} cards final", every=0.25)
        done = time.monotonic() - begun
        ticker.cancel()
        landed: dict[str, float] = {}
        for call in slack.calls_to("files.completeUploadExternal"):
            landed.setdefault(call.params.get("thread_ts", ""), call.at)
        final = finals()
    cards = [ts for ts in final if ts in landed]
    lags = [final[ts] - landed[ts] for ts in cards]
    least = least_lags([landed[ts] for ts in cards], 50 * scale, WORKSPACE["chat.update"][1])
    real, ideal = _summary(lags, scale), _summary(least, scale)
    calls = len(slack.calls) + len(slack.limited)
    edits = slack.count("chat.update")
    return {
        "name": "campaign",
        "jobs": jobs,
        "scale": scale,
        "lag_s": real,
        "least_lag_s": ideal,
        "ratio": {k: round(real[k] / ideal[k], 2) if ideal[k] else None for k in real},
        "p95_goal_s": round(1.2 * ideal["p95"] + 3, 1),
        "p95_met": real["p95"] <= 1.2 * ideal["p95"] + 3,
        "rate_limited": len(slack.limited),
        "rate_limited_methods": sorted({x.method for x in slack.limited}),
        "slack_calls": calls,
        "rate_limited_pct": round(100 * len(slack.limited) / max(1, calls), 2),
        "edits_per_card": round(edits / jobs, 1),
        "all_final_s": round(done * scale, 1),
        "ack_p99_ms": round(percentile(acks, 99) * 1000, 1),
        "ack_max_ms": round(max(acks) * 1000, 1),
        "acks": len(acks),
        "bench_loop_lag_p99_ms": round(percentile(loop_lags, 99) * 1000, 1),
    }


async def _loop_lag(lags: list[float], every: float = 0.01) -> None:
    """How late this process's event loop wakes from a short sleep: an ack measured here arrives at
    least that late, whatever the bot did."""
    while True:
        started = time.perf_counter()
        await asyncio.sleep(every)
        lags.append(max(0.0, time.perf_counter() - started - every))


async def measure_campaigns(sizes: tuple[tuple[int, float], ...]) -> dict:
    return {"name": "campaign", "rows": [await measure_campaign(jobs=j, scale=s) for j, s in sizes]}


if __name__ == "__main__":
    print(asyncio.run(measure_campaign(jobs=20)))
