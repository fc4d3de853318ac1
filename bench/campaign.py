"""A campaign against a Slack stand-in that enforces Slack's tiers: N `/video` jobs in C channels,
5 s clips. For each card, the lag from its clip landing in the thread (files.completeUploadExternal)
to the card's first "Delivered" edit, against the floor: the least lag chat.update's budget allows
for the same landing times, in the same run (a simulated bucket at Slack's tier serving only final
states, first landed first served). Also 429s received, edits per card sent and dropped (the bot's
own count), and ack latency meanwhile.

Two loads: a burst (every job sent at once, Kling renders of 4 s: the finals land in one wave) and
a paced campaign as a new user runs one (`every` seconds between jobs, renders spread over
`renders` seconds, so cards animate while others land their finals).

`scale` speeds the whole clock up (Slack's rates × scale; the card interval, poll interval, pace
and render times ÷ scale); times are reported on the real clock (× scale) so the rows compare.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable

from bench.ack import percentile
from bench.stack import BenchSlack, stage, wait_until
from tests.fakes.slack_tiers import PER_CHANNEL, WORKSPACE, TieredSlack

CHANNELS = 4
EDITS_LINE = re.compile(r"card edits: (\d+) sent, (\d+) dropped")
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


def goal(floor_p95: float) -> float:
    """The issue's goal for a card's final: p95 lag within 1.5× the floor's p95 + 5 s."""
    return 1.5 * floor_p95 + 5.0


def spread(low: float, high: float, slots: int = 100) -> Callable[[str], float]:
    """Render seconds of each bench job: one of `slots` even steps over [low, high], picked by its
    number in the prompt with a fixed stride (neighbours differ, every run renders the same; with
    fewer jobs than slots, runs of taken steps make the clips land in clusters)."""

    def seconds(prompt: str) -> float:
        found = re.search(r"product shot (\d+)", prompt)
        n = int(found.group(1)) if found else 0
        return low + (high - low) * ((n * 37) % slots) / (slots - 1)

    return seconds


async def measure_campaign(
    *,
    jobs: int = 80,
    channels: int = CHANNELS,
    every: float = 0.0,
    renders: tuple[float, float] = (4.0, 4.0),
    slots: int = 100,
    scale: float = 1.0,
    timeout: float = 900.0,
) -> dict:
    slack = CampaignSlack(scale)
    rates = ",".join(f"{m}={r * scale:g}/{b:g}" for m, (r, b) in BOT_RATES.items())
    env = {
        "DAILIES_SLACK_RATES": rates,
        "DAILIES_CARD_INTERVAL_SECONDS": f"{3.0 / scale:g}",
        "DAILIES_POLL_SECONDS": f"{5.0 / scale:g}",
        "DAILIES_BACKEND_CONCURRENCY": "1000",
    }
    low, high = renders[0] / scale, renders[1] / scale
    async with stage(render_seconds=spread(low, high, slots), slack=slack, **env) as st:
        begun = time.monotonic()
        acks: list[float] = []
        loop_lags: list[float] = []  # this process's own loop lag: the stand-ins and probes share it
        ticker = asyncio.create_task(_loop_lag(loop_lags))
        for n in range(jobs):
            sent = time.monotonic()
            status, seconds = await st.video(
                f"product shot {n}, variation {n % 10} --seconds 5", channel=f"CCAMP{n % channels}"
            )
            if status != 200:
                raise RuntimeError(f"/video answered HTTP {status}")
            acks.append(seconds)
            await asyncio.sleep(max(0.0, sent + every / scale - time.monotonic()))

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
        st.proc.terminate()  # the bot logs its count of card edits sent and dropped as it stops
        await asyncio.to_thread(st.proc.wait, 30)
        counted = EDITS_LINE.findall(st.stderr_path.read_text(errors="replace"))
    sent_edits, dropped = (int(x) for x in counted[-1]) if counted else (-1, -1)
    cards = [ts for ts in final if ts in landed]
    lags = [final[ts] - landed[ts] for ts in cards]
    edited: dict[str, list[float]] = {}
    for call in slack.calls_to("chat.update"):
        edited.setdefault(call.params.get("ts", ""), []).append(call.at)
    # finals that waited for their card's interval after an edit sent just before them
    held = sum(
        1
        for ts in cards
        if any(0 < final[ts] - at < 1.2 * 3.0 / scale for at in edited[ts]) and final[ts] - landed[ts] > 0.5
    )
    least = least_lags([landed[ts] for ts in cards], 50 * scale, WORKSPACE["chat.update"][1])
    real, ideal = _summary(lags, scale), _summary(least, scale)
    calls = len(slack.calls) + len(slack.limited)
    edits = slack.count("chat.update")
    return {
        "name": "campaign",
        "jobs": jobs,
        "channels": channels,
        "every_s": every,
        "renders_s": list(renders),
        "scale": scale,
        "lag_s": real,
        "least_lag_s": ideal,
        "ratio": {k: round(real[k] / ideal[k], 2) if ideal[k] else None for k in real},
        "p95_goal_s": round(goal(ideal["p95"]), 1),
        "p95_of_goal": round(real["p95"] / goal(ideal["p95"]), 2),
        "p95_met": real["p95"] <= goal(ideal["p95"]),
        "rate_limited": len(slack.limited),
        "rate_limited_methods": sorted({x.method for x in slack.limited}),
        "slack_calls": calls,
        "rate_limited_pct": round(100 * len(slack.limited) / max(1, calls), 2),
        "edits_per_card": round(edits / jobs, 1),
        "finals_held_by_interval": held,
        "edits_sent": edits,
        "edits_dropped": dropped,  # the bot's count: progress it did not send (-1: not logged)
        "bot_edits_sent": sent_edits,
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


def campaign_load(jobs: int, channels: int, *, scale: float = 1.0) -> dict:
    """A campaign as a team runs one: every shot sent at once, renders of 20 s and up spread so that
    the clips land at about chat.update's tier (48 a minute on average, in clusters a little above
    it), which keeps the floor small and shows every edit spent on anything but a final state."""
    slots = round(1.25 * jobs)  # one a second and a quarter: 80 % of them taken
    return {
        "jobs": jobs,
        "channels": channels,
        "renders": (20.0, 20.0 + slots),
        "slots": slots,
        "scale": scale,
    }


async def measure_campaigns(loads: tuple[dict, ...]) -> dict:
    return {"name": "campaign", "rows": [await measure_campaign(**load) for load in loads]}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(asyncio.run(measure_campaign(**json.loads(sys.argv[1] if sys.argv[1:] else "{}")))))
