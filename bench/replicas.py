"""Several replicas on one PostgreSQL: ack latency on PostgreSQL against SQLite (one process), jobs
started per second and ack p99 with one replica against two under the same load, and the takeover
time after kill -9 (from the kill to the survivor's first poll of a dead replica's task)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import psycopg
from aiohttp import web

from bench.ack import PROMPT, percentile
from bench.stack import (
    BOT_TOKEN,
    ROOT,
    BenchKling,
    BenchSlack,
    Stage,
    _serve_command,
    _wait_up,
    free_port,
    stage,
)
from tests.fakes.slack_requests import SIGNING_SECRET
from tests.postgres_server import PostgresServer


class PollLog(BenchKling):
    """Kling that never finishes a render and notes when each task was polled."""

    def __init__(self) -> None:
        super().__init__(render_seconds=None)
        self.polled: list[tuple[float, str]] = []

    async def _poll_video(self, request: web.Request) -> web.Response:
        self.polled.append((time.monotonic(), request.match_info["id"]))
        return await super()._poll_video(request)


@asynccontextmanager
async def replicas(
    count: int, slack, kling, *, each: list[dict[str, str]] | None = None, **env: str
) -> AsyncIterator[list[Stage]]:
    """`count` `dailies serve` processes on the same database (DATABASE_URL in `env`); `each` adds
    settings of one replica's own (its DATABASE_URL's role, say)."""
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
    stages: list[Stage] = []
    with tempfile.TemporaryDirectory(prefix="dailies-bench-replicas-") as tmp_name:
        try:
            for n in range(count):
                tmp = Path(tmp_name) / f"r{n}"
                tmp.mkdir()
                port = free_port()
                values = {
                    **{
                        k: v
                        for k, v in os.environ.items()
                        if not k.startswith(("SLACK_", "DAILIES_", "KLING_"))
                    },
                    "SLACK_BOT_TOKEN": BOT_TOKEN,
                    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                    "SLACK_API_URL": slack.api_url,
                    "KLING_API_KEY": kling.api_key,
                    "KLING_BASE_URL": kling.url,
                    "DAILIES_MEDIA_DIR": str(tmp / "media"),
                    "DAILIES_ALLOW_PRIVATE_URLS": "1",
                    "DAILIES_BACKEND_CONCURRENCY": "5000",
                    "PYTHONPATH": str(ROOT),
                    **env,
                    **(each[n] if each else {}),
                }
                log_path = tmp / "serve.log"
                with log_path.open("wb") as log:
                    proc = subprocess.Popen(
                        _serve_command(port, tmp), env=values, cwd=tmp, stdout=log, stderr=subprocess.STDOUT
                    )
                st = Stage(slack, kling, f"http://127.0.0.1:{port}", proc, tmp, session, 0, log_path)
                stages.append(st)
                await _wait_up(st)
            yield stages
        finally:
            await session.close()
            for st in stages:
                if st.proc.poll() is None:
                    st.proc.terminate()
                    st.proc.wait(timeout=10)


async def _probe(st: Stage, count: int, tag: str) -> list[float]:
    latencies = []
    for n in range(count):
        status, seconds = await st.video(PROMPT, channel=f"C{tag}{n:04d}")
        if status != 200:
            raise RuntimeError(f"/video answered HTTP {status}")
        latencies.append(seconds)
    return latencies


async def _single_process_ack(database_url: str, probes: int) -> dict:
    env = {"DATABASE_URL": database_url} if database_url else {}
    async with stage(DAILIES_BACKEND_CONCURRENCY="5000", **env) as st:
        await _probe(st, 5, "WARM")
        latencies = await _probe(st, probes, "ACK")
    return {
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
    }


async def _sustained(count: int, url: str, jobs: int) -> dict:
    """`jobs` commands, 32 at a time, spread round-robin over the replicas: how fast they all get
    submitted and carded, and the acks' p99 meanwhile."""
    slack, kling = BenchSlack(), BenchKling(render_seconds=None)
    await slack.start()
    await kling.start()
    try:
        # every bench job is in one workspace: lift its Slack budget (the stand-in has no limits)
        # so that the bot is measured, not Slack's ~5 posts a second per workspace
        rates = "chat.postMessage=60000/1000,chat.update=60000/1000"
        async with replicas(count, slack, kling, DATABASE_URL=url, DAILIES_SLACK_RATES=rates) as stages:
            gate = asyncio.Semaphore(32)
            latencies: list[float] = []

            async def one(n: int) -> None:
                async with gate:
                    status, seconds = await stages[n % count].video(PROMPT, channel=f"CSUS{count}x{n:05d}")
                    if status != 200:
                        raise RuntimeError(f"/video answered HTTP {status}")
                    latencies.append(seconds)

            begun = time.monotonic()
            await asyncio.gather(*(one(n) for n in range(jobs)))
            while len(kling.creates) < jobs or slack.count("chat.postMessage") < jobs:
                if time.monotonic() - begun > 300:
                    raise RuntimeError(f"{jobs} jobs did not all start on {count} replica(s)")
                await asyncio.sleep(0.05)
            took = time.monotonic() - begun
    finally:
        await kling.close()
        await slack.stop()
    return {
        "replicas": count,
        "jobs": jobs,
        "jobs_per_s": round(jobs / took, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
    }


async def _takeover(url: str, lease: float, jobs: int) -> dict:
    slack, kling = BenchSlack(), PollLog()
    await slack.start()
    await kling.start()
    try:
        env = {"DATABASE_URL": url, "DAILIES_LEASE_SECONDS": f"{lease:g}", "DAILIES_POLL_SECONDS": "1"}
        async with replicas(2, slack, kling, **env) as (a, b):
            for n in range(jobs):
                await (a if n % 2 == 0 else b).video(PROMPT, channel=f"CTAKE{n:04d}")
            while len(kling.creates) < jobs:
                await asyncio.sleep(0.05)
            async with a.session.get(f"{a.url}/healthz") as resp:
                replica_a = (await resp.json())["replica"]
            with psycopg.connect(url) as pg:
                held = [
                    r[0].rpartition(":")[2]
                    for r in pg.execute(
                        "SELECT provider_task_id FROM takes WHERE claimed_by = %s", [replica_a]
                    )
                ]
            if not held:
                raise RuntimeError("replica a holds no takes")
            await asyncio.sleep(lease / 2)  # mid-lease: a renewed some time ago
            killed = time.monotonic()
            a.proc.send_signal(signal.SIGKILL)
            a.proc.wait()
            first = None
            while first is None:
                first = next((t for t, task in kling.polled if t > killed and task in held), None)
                if time.monotonic() - killed > lease * 3 + 30:
                    raise RuntimeError("the survivor never polled the dead replica's tasks")
                await asyncio.sleep(0.02)
    finally:
        await kling.close()
        await slack.stop()
    return {"lease_s": lease, "takes": len(held), "takeover_s": round(first - killed, 2)}


async def measure_replicas(*, jobs: int = 600, probes: int = 100, lease: float = 10.0) -> dict:
    server = PostgresServer().start()
    try:
        sqlite_ack = await _single_process_ack("", probes)
        postgres_ack = await _single_process_ack(server.new_database(), probes)
        one = await _sustained(1, server.new_database(), jobs)
        two = await _sustained(2, server.new_database(), jobs)
        takeover = await _takeover(server.new_database(), lease, 20)
    finally:
        server.stop()
    return {
        "name": "replicas",
        "sqlite_ack": sqlite_ack,
        "postgres_ack": postgres_ack,
        "sustained": [one, two],
        "takeover": takeover,
    }


if __name__ == "__main__":
    print(asyncio.run(measure_replicas(jobs=200, probes=30)))
