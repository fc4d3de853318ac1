"""Figures that predict scale on PostgreSQL: ack latency with 1,000 jobs in flight across two replicas,
the time to resume every take after a database restart, and CPU-seconds and SQL statements per
delivered job for one replica against two (each beside a baseline from the same run)."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench.ack import PROMPT, percentile
from bench.campaign import _loop_lag
from bench.replicas import replicas
from bench.stack import BenchKling, BenchSlack, Stage
from tests.fakes.kling import Task
from tests.postgres_server import PostgresServer

# Every bench job is in one workspace: lift its Slack budget (the stand-in has no limits), so that
# the bot is measured, not Slack's per-workspace tiers.
LIFTED = ",".join(
    f"{method}=60000/1000"
    for method in (
        "chat.postMessage",
        "chat.update",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
        "files.info",
    )
)
TICKS = os.sysconf("SC_CLK_TCK")
IDLE_SECONDS = 10.0  # two pickup polls at the default DAILIES_POLL_SECONDS


class StatsPostgres(PostgresServer):
    """The throwaway PostgreSQL with pg_stat_statements loaded, so statements can be counted."""

    def resume(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
            "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.max=10000"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w", "start"
        )


class PollClock(BenchKling):
    """Kling noting when each task was last asked about (a single poll or a batch)."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.last_poll: dict[str, float] = {}

        self.polls_at: list[tuple[float, str]] = []

    def _advance(self, task: Task) -> None:
        now = time.monotonic()
        self.last_poll[task.id] = now
        self.polls_at.append((now, task.id))
        super()._advance(task)

    def first_poll_after(self, mark: float) -> dict[str, float]:
        """Each task's first poll after `mark`."""
        first: dict[str, float] = {}
        for at, task_id in self.polls_at:
            if at > mark:
                first.setdefault(task_id, at)
        return first


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def _start_jobs(stages: list[Stage], slack, kling, first: int, count: int, tag: str) -> float:
    """`count` `/video` commands, 32 at a time, round-robin over the replicas; returns the seconds
    until every one was submitted to Kling and its card posted."""
    gate = asyncio.Semaphore(32)
    creates, posts = len(kling.creates), slack.count("chat.postMessage")

    async def one(n: int) -> None:
        async with gate:
            status, _ = await stages[n % len(stages)].video(PROMPT, channel=f"C{tag}{n:05d}")
            if status != 200:
                raise RuntimeError(f"/video answered HTTP {status}")

    begun = time.monotonic()
    await asyncio.gather(*(one(n) for n in range(first, first + count)))
    while len(kling.creates) < creates + count or slack.count("chat.postMessage") < posts + count:
        if time.monotonic() - begun > 300:
            raise RuntimeError(f"{count} jobs did not all start on {len(stages)} replica(s) within 300 s")
        await asyncio.sleep(0.1)
    return time.monotonic() - begun


async def _acks(stages: list[Stage], probes: int, tag: str) -> list[float]:
    latencies = []
    for n in range(probes):
        status, seconds = await stages[n % len(stages)].video(PROMPT, channel=f"C{tag}{n:04d}")
        if status != 200:
            raise RuntimeError(f"/video answered HTTP {status}")
        latencies.append(seconds)
    return latencies


def _ms(latencies: list[float]) -> dict:
    return {
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
    }


async def ack_with_1000_in_flight(url: str, jobs: int, probes: int) -> dict:
    """Ack p50/p99/max on two replicas with nothing in flight (the baseline), then with `jobs`."""
    slack, kling = BenchSlack(), BenchKling(render_seconds=None)
    await slack.start()
    await kling.start()
    try:
        async with replicas(2, slack, kling, DATABASE_URL=url, DAILIES_SLACK_RATES=LIFTED) as stages:
            await _acks(stages, 6, "WARM")
            idle = _ms(await _acks(stages, probes, "IDLE"))
            started = await _start_jobs(stages, slack, kling, 0, jobs, "FILL")
            await asyncio.sleep(1.0)
            in_flight = [await st.in_flight() for st in stages]
            edits = slack.count("chat.update")
            lags: list[float] = []  # this process's own loop lag: the stand-ins and probes share it
            ticker = asyncio.create_task(_loop_lag(lags))
            busy = _ms(await _acks(stages, probes, "BUSY"))
            ticker.cancel()
            edits = slack.count("chat.update") - edits
    finally:
        await kling.close()
        await slack.stop()
    return {
        "jobs": jobs,
        "in_flight": in_flight,
        "probes": probes,
        "started_s": round(started, 1),
        "idle": idle,
        "busy": busy,
        "edits_during_probes": edits,
        "bench_loop_lag_p99_ms": round(percentile(lags, 99) * 1000, 1),
        "p99_ratio": round(busy["p99_ms"] / idle["p99_ms"], 2),
    }


async def _until(predicate, timeout: float, what: str, every: float = 0.02) -> float:
    begun = time.monotonic()
    while not predicate():
        if time.monotonic() - begun > timeout:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(every)
    return time.monotonic()


async def _healthy_again(st: Stage, since: float) -> float:
    """Seconds from `since` until the replica's /healthz answers 200 again."""
    while True:
        try:
            async with st.session.get(f"{st.url}/healthz") as resp:
                if resp.status == 200:
                    return time.monotonic() - since
        except OSError:
            pass
        await asyncio.sleep(0.05)


def _stale_takes(url: str, wall: str) -> int | None:
    """Takes whose state was last stored at or before `wall`; None while the database is not answering."""
    try:
        with psycopg.connect(url, connect_timeout=2) as pg:
            row = pg.execute("SELECT count(*) FROM takes WHERE updated_at <= %s", [wall]).fetchone()
    except psycopg.OperationalError:
        return None
    return None if row is None else int(row[0])


async def _all_written_since(url: str, wall: str, since: float) -> float:
    """Seconds from `since` until every take has stored its state again (its `updated_at`)."""
    while await asyncio.to_thread(_stale_takes, url, wall) != 0:
        await asyncio.sleep(0.05)
    return time.monotonic() - since


async def resume_after_restart(server: StatsPostgres, url: str, takes: int, away: float) -> dict:
    """`takes` rendering on two replicas (polled at most every 5 s); the database is stopped for
    `away` seconds and started again. Baseline: from any moment, the time until every task has been
    polled once (the steady poll cycle)."""
    slack, kling = BenchSlack(), PollClock(render_seconds=None)
    await slack.start()
    await kling.start()
    env = {"DAILIES_POLL_SECONDS": "1", "DAILIES_POLL_CEILING_SECONDS": "5", "DAILIES_SLACK_RATES": LIFTED}
    try:
        async with replicas(2, slack, kling, DATABASE_URL=url, **env) as stages:
            await _start_jobs(stages, slack, kling, 0, takes, "RESUME")
            await asyncio.sleep(6)  # past the first polls: each take at its poll ceiling

            def all_polled_since(mark: float) -> bool:
                return len(kling.last_poll) >= takes and all(t > mark for t in kling.last_poll.values())

            mark = time.monotonic()
            steady = await _until(lambda: all_polled_since(mark), 60, "a steady poll cycle") - mark

            # stop and start it off the event loop: the stand-ins in this process keep answering
            await asyncio.to_thread(server.halt)
            await asyncio.sleep(away)
            await asyncio.to_thread(server.resume)  # returns once the server accepts connections
            back, back_wall = time.monotonic(), datetime.now(UTC).isoformat(timespec="milliseconds")
            healthy = asyncio.gather(*(_healthy_again(st, back) for st in stages))
            written = asyncio.create_task(_all_written_since(url, back_wall, back))
            await _until(lambda: all_polled_since(back), 120, "every take polled again")
            again = sorted(t - back for t in kling.first_poll_after(back).values())
            healthy_s = max(await asyncio.wait_for(healthy, 60))
            written_s = await asyncio.wait_for(written, 60)
            in_flight = sum([await st.in_flight() for st in stages])
            with psycopg.connect(url) as pg:
                failed = pg.execute("SELECT count(*) FROM takes WHERE state = 'failed'").fetchone()[0]
            creates = len(kling.creates)
    finally:
        await kling.close()
        await slack.stop()
    return {
        "takes": takes,
        "away_s": away,
        "steady_cycle_s": round(steady, 2),
        "resumed_p50_s": round(percentile(again, 50), 2),
        "resumed_s": round(again[-1], 2),
        "healthy_s": round(healthy_s, 2),
        "written_s": round(written_s, 2),
        "ratio": round(again[-1] / steady, 2),
        "in_flight_after": in_flight,
        "failed": failed,
        "creates": creates,
    }


def _reset(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute("SELECT pg_stat_statements_reset()")


def _statements(url: str, roles: list[str]) -> dict[str, dict[str, int]]:
    """Statements each role ran since the last reset, by their first word (pg_stat_statements,
    top-level statements, BEGIN/COMMIT and other utility statements included)."""
    with psycopg.connect(url, autocommit=True) as pg:
        rows = pg.execute(
            "SELECT r.rolname, upper(split_part(ltrim(s.query), ' ', 1)), sum(s.calls)"
            " FROM pg_stat_statements s JOIN pg_roles r ON s.userid = r.oid"
            " WHERE r.rolname = ANY(%s) GROUP BY 1, 2",
            [roles],
        ).fetchall()
    found: dict[str, dict[str, int]] = {role: {} for role in roles}
    for role, kind, calls in rows:
        found[role][kind] = found[role].get(kind, 0) + int(calls)
    return found


def _total(by_role: dict[str, dict[str, int]]) -> int:
    return sum(sum(kinds.values()) for kinds in by_role.values())


async def cost_per_job(server: StatsPostgres, count: int, jobs: int) -> dict:
    """`jobs` delivered on `count` replicas (renders of 4 s, default polling): CPU-seconds of each
    bot process and SQL statements each ran, per delivered job, from the first command to every
    card final. Each replica connects as a role of its own, so statements are counted per replica."""
    url = server.new_database()
    roles = [f"bench_{count}r{n}" for n in range(count)]
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        for role in roles:
            pg.execute(f"CREATE ROLE {role} LOGIN SUPERUSER")
    each = [{"DATABASE_URL": url.replace("postgres@", f"{role}@", 1)} for role in roles]
    slack, kling = BenchSlack(), BenchKling(render_seconds=4)
    await slack.start()
    await kling.start()
    try:
        async with replicas(count, slack, kling, each=each, DAILIES_SLACK_RATES=LIFTED) as stages:
            await asyncio.sleep(1.0)  # past start-up
            # idle: what the replicas cost with no work (pickup polls, lease renewals, LISTEN)
            _reset(url)
            cpu_before = [cpu_seconds(st.proc.pid) for st in stages]
            await asyncio.sleep(IDLE_SECONDS)
            idle_cpu = sum(cpu_seconds(st.proc.pid) - b for st, b in zip(stages, cpu_before, strict=True))
            idle_statements = _total(_statements(url, roles))
            _reset(url)
            cpu_before = [cpu_seconds(st.proc.pid) for st in stages]
            begun = time.monotonic()
            await _start_jobs(stages, slack, kling, 0, jobs, f"COST{count}x")

            def final() -> bool:
                done = 0
                for channel, messages in slack.messages.items():
                    if channel.startswith(f"CCOST{count}x") and any(
                        m.get("thread_ts", m["ts"]) == m["ts"] and m["text"].startswith(":white_check_mark:")
                        for m in messages
                    ):
                        done += 1
                return done >= jobs

            await _until(final, 300, f"{jobs} cards final on {count} replica(s)", every=0.1)
            took = time.monotonic() - begun
            cpu = [cpu_seconds(st.proc.pid) - b for st, b in zip(stages, cpu_before, strict=True)]
            statements = _statements(url, roles)
            with psycopg.connect(url) as pg:
                delivered = pg.execute("SELECT count(*) FROM jobs WHERE state = 'delivered'").fetchone()[0]
    finally:
        await kling.close()
        await slack.stop()
    if delivered != jobs:
        raise RuntimeError(f"{delivered} of {jobs} jobs delivered on {count} replica(s)")
    return {
        "replicas": count,
        "jobs": jobs,
        "seconds": round(took, 1),
        "cpu_s_per_job": round(sum(cpu) / jobs, 4),
        "cpu_s_each": [round(c, 2) for c in cpu],
        "statements_per_job": round(_total(statements) / jobs, 1),
        "statements_each": [sum(statements[role].values()) for role in roles],
        "statements_by_kind_per_job": {
            kind: round(sum(statements[role].get(kind, 0) for role in roles) / jobs, 1)
            for kind in sorted({k for kinds in statements.values() for k in kinds})
        },
        "idle_cpu_s_per_min": round(idle_cpu / IDLE_SECONDS * 60, 2),
        "idle_statements_per_min": round(idle_statements / IDLE_SECONDS * 60, 1),
    }


async def measure_at_scale(
    *, jobs: int = 1000, probes: int = 100, takes: int = 200, delivered: int = 200
) -> dict:
    server = StatsPostgres().start()
    timings = {}
    try:
        began = time.monotonic()
        ack = await ack_with_1000_in_flight(server.new_database(), jobs, probes)
        timings["ack_s"] = round(time.monotonic() - began, 1)
        began = time.monotonic()
        resume = await resume_after_restart(server, server.new_database(), takes, away=8.0)
        timings["resume_s"] = round(time.monotonic() - began, 1)
        began = time.monotonic()
        one = await cost_per_job(server, 1, delivered)
        two = await cost_per_job(server, 2, delivered)
        timings["cost_s"] = round(time.monotonic() - began, 1)
    finally:
        server.stop()
    return {
        "name": "scale",
        "ack": ack,
        "resume": resume,
        "cost": [one, two],
        "cpu_ratio": round(two["cpu_s_per_job"] / one["cpu_s_per_job"], 2),
        "statements_ratio": round(two["statements_per_job"] / one["statements_per_job"], 2),
        "wall_s": timings,
    }


if __name__ == "__main__":
    print(asyncio.run(measure_at_scale(jobs=200, probes=20, takes=50, delivered=30)))
