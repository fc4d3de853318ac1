"""What sharing the Slack budget through the database adds to each Slack call: the time of one
bucket take (the row locked, budget.py's arithmetic, written back, committed) against the
in-process dict, on SQLite and PostgreSQL.

python -m bench.shared_budget                      # a throwaway PostgreSQL (commits not flushed)
DATABASE_URL=postgresql://… python -m bench.shared_budget   # a real server, as configured
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

from bench.ack import percentile
from bot.slack.budget import BucketStore, InProcessBuckets, Tier
from bot.slack.shared_buckets import SharedBuckets
from storage.db import Store
from storage.engines import connect
from tests.postgres_server import PostgresServer

ROOMY = Tier(per_minute=10**9, burst=10**6)  # never waits: only the take's own cost is timed
METHODS = 20  # takes spread over a workspace's methods, as Slack calls are


async def take_ms(buckets: BucketStore, takes: int) -> list[float]:
    times = []
    for i in range(takes):
        start = time.perf_counter()
        await buckets.take(("T1", f"method.{i % METHODS}", ""), ROOMY, time.time(), 0.0)
        times.append((time.perf_counter() - start) * 1000)
    return times


async def measure_shared_budget(takes: int = 2000) -> dict:
    results = {"in_process": await take_ms(InProcessBuckets(), takes)}
    server = None
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        server = PostgresServer().start()
        url = server.new_database()
    try:
        with tempfile.TemporaryDirectory(prefix="dailies-bench-budget-") as tmp:
            for name, db in (
                ("sqlite", lambda: connect(Path(tmp) / "dailies.db")),
                ("postgresql", lambda: connect(database_url=url)),
            ):
                shared = SharedBuckets(Store(db()))
                try:
                    await take_ms(shared, METHODS * 5)  # the rows exist, the connection is warm
                    results[name] = await take_ms(shared, takes)
                finally:
                    shared.close()
    finally:
        if server is not None:
            server.stop()
    return {
        name: {"p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99)}
        for name, times in results.items()
    }


if __name__ == "__main__":
    for name, figures in asyncio.run(measure_shared_budget()).items():
        print(f"{name:12} take p50 {figures['p50_ms']:.3f} ms   p99 {figures['p99_ms']:.3f} ms")
