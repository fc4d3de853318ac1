"""Slack calls and provider polls per job for a render that takes 60 s of wall time, with the
default poll interval (DAILIES_POLL_SECONDS=5) and card interval (3 s)."""

from __future__ import annotations

import asyncio
from collections import Counter

from bench.stack import stage, wait_until

SLACK_METHODS = (
    "chat.postMessage",
    "chat.update",
    "files.getUploadURLExternal",
    "upload",
    "files.completeUploadExternal",
)


async def measure_traffic(*, render_seconds: float = 60.0, jobs: int = 5) -> dict:
    async with stage(render_seconds=render_seconds) as st:
        for n in range(jobs):
            await st.video("a lighthouse keeper walks the pier at dusk", channel=f"CTRAFFIC{n}")

        async def delivered() -> bool:
            return st.slack.count("files.completeUploadExternal") >= jobs

        await wait_until(delivered, render_seconds * 3 + 60, f"{jobs} clips delivered", every=0.5)
        await asyncio.sleep(4)  # the final card edits land after the upload
        counts = Counter(c.method for c in st.slack.calls)
        polls = st.kling.polls
    per_job = {m: round(counts[m] / jobs, 1) for m in SLACK_METHODS}
    other = sum(v for m, v in counts.items() if m not in SLACK_METHODS)
    return {
        "name": "traffic",
        "render_seconds": render_seconds,
        "jobs": jobs,
        "slack_calls_per_job": round(sum(counts[m] for m in SLACK_METHODS) / jobs + other / jobs, 1),
        "by_method": per_job,
        "other_calls": other,
        "provider_polls_per_job": round(polls / jobs, 1),
    }


if __name__ == "__main__":
    print(asyncio.run(measure_traffic()))
