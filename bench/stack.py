"""The stage every benchmark runs on: Slack and Kling stand-ins in this process, and the bot served
over HTTP by `dailies serve` in a subprocess, measured from outside (signed requests, /proc)."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

from tests.fakes.kling import FakeKling, Task
from tests.fakes.slack import ScriptedSlack
from tests.fakes.slack_requests import FORM, SIGNING_SECRET, post_signed, slash_command_body

BOT_TOKEN = "xoxb-bench-token"
ROOT = Path(__file__).resolve().parent.parent


class BenchSlack(ScriptedSlack):
    """The Slack stand-in, also noting when each upload's body started arriving."""

    def __init__(self) -> None:
        super().__init__()
        self.upload_started: dict[str, float] = {}

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        response = await super()._handle_upload(request)
        self.upload_started[self._upload_tickets.get(request.match_info["token"], "")] = started
        return response


class BenchKling(FakeKling):
    """Kling whose tasks finish after `render_seconds` of wall time (never when None; a function of
    the task's prompt gives each its own) and whose result is `result_file`, streamed from disk;
    notes when success was first reported."""

    def __init__(
        self, *, render_seconds: float | Callable[[str], float] | None = None, result_file: Path | None = None
    ) -> None:
        super().__init__()
        self.render_seconds = render_seconds
        self.result_file = result_file
        self.started: dict[str, float] = {}
        self.succeeded_at: dict[str, float] = {}
        self.download_span: dict[str, tuple[float, float]] = {}

    def _advance(self, task: Task) -> None:
        if task.status in ("succeed", "failed"):
            return
        begun = self.started.setdefault(task.id, time.monotonic())
        render = self.render_seconds
        if callable(render):
            render = render(str(task.body.get("prompt", "")))
        if render is not None and time.monotonic() - begun >= render:
            task.status = "succeed"
            self.succeeded_at[task.id] = time.monotonic()
        else:
            task.status = "processing"

    async def _create_video(self, request: web.Request) -> web.Response:
        response = await super()._create_video(request)
        for task_id in self.tasks.keys() - self.started.keys():
            self.started[task_id] = time.monotonic()
        return response

    async def _result(self, request: web.Request) -> web.StreamResponse:
        if self.result_file is None:
            return await super()._result(request)
        task_id = request.match_info["name"].removesuffix(".mp4")
        started = time.monotonic()
        response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        response.content_length = self.result_file.stat().st_size
        await response.prepare(request)
        with self.result_file.open("rb") as fh:
            while chunk := fh.read(1024 * 1024):
                await response.write(chunk)
        await response.write_eof()
        self.download_span[task_id] = (started, time.monotonic())
        return response


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in kB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def sparse_file(path: Path, size: int) -> Path:
    """A file of `size` bytes (zeros, sparse on disk) that is cheap to make and to serve."""
    with path.open("wb") as fh:
        fh.truncate(size)
    return path


@dataclass
class Stage:
    slack: BenchSlack
    kling: BenchKling
    url: str
    proc: subprocess.Popen
    tmp: Path
    session: aiohttp.ClientSession
    commands: int = 0
    stderr_path: Path = field(default_factory=Path)
    remote: RemoteStandIns | None = None

    async def video(self, text: str, *, channel: str = "C0BENCH") -> tuple[int, float]:
        """POST one signed `/video` command; returns (HTTP status, seconds until the ack arrived)."""
        self.commands += 1
        body = slash_command_body(
            text,
            response_url=self.slack.response_url(channel),
            channel_id=channel,
            trigger_id=f"bench-{self.commands}-{time.monotonic_ns()}",
        )
        started = time.perf_counter()
        status, _ = await post_signed(self.session, f"{self.url}/slack/events", body, FORM)
        return status, time.perf_counter() - started

    async def in_flight(self) -> int:
        async with self.session.get(f"{self.url}/healthz") as resp:
            return (await resp.json())["jobs_in_flight"]

    def rss(self) -> dict[str, int]:
        return rss_kb(self.proc.pid)


class RemoteStandIns:
    """The stand-ins running in their own process (`bench.standins`), seen through their stats."""

    def __init__(self, proc: subprocess.Popen, info: dict) -> None:
        self.proc = proc
        self.api_url, self.base_url = info["slack_api_url"], info["slack_base_url"]
        self.kling_url, self.kling_key, self.stats_url = (
            info["kling_url"],
            info["kling_key"],
            info["stats_url"],
        )

    def response_url(self, channel: str = "C0CHANNEL") -> str:
        return f"{self.base_url}/response/{channel}/{secrets.token_hex(6)}"

    async def stats(self, session: aiohttp.ClientSession) -> dict:
        async with session.get(self.stats_url) as resp:
            return await resp.json()

    def stop(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _start_remote() -> RemoteStandIns:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.standins"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    line = proc.stdout.readline()
    if not line:
        proc.wait()
        raise RuntimeError("bench.standins exited before it started")
    return RemoteStandIns(proc, json.loads(line))


def _serve_command(port: int, tmp: Path) -> list[str]:
    """`dailies serve`; under cProfile (bench only) when DAILIES_BENCH_PROFILE names an output file."""
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    profile = os.environ.get("DAILIES_BENCH_PROFILE")
    if profile:
        return [sys.executable, "-m", "bench.profiled_serve", str(Path(profile).resolve()), *serve]
    return [sys.executable, "-m", "bot.cli", *serve]


@asynccontextmanager
async def stage(
    *,
    render_seconds: float | Callable[[str], float] | None = None,
    result_file: Path | None = None,
    remote: bool = False,
    slack: BenchSlack | None = None,
    **env: str,
) -> AsyncIterator[Stage]:
    """Start the stand-ins (in this process, or in their own with `remote`) and `dailies serve`;
    stop everything on exit. Remote stand-ins never finish a render; `slack` replaces the Slack
    stand-in (not yet started)."""
    remote_ = _start_remote() if remote else None
    if remote_ is None:
        slack = slack or BenchSlack()
        kling = BenchKling(render_seconds=render_seconds, result_file=result_file)
        await slack.start()
        await kling.start()
        slack_api, kling_url, kling_key = slack.api_url, kling.url, kling.api_key
    else:
        slack = kling = None
        slack_api, kling_url, kling_key = remote_.api_url, remote_.kling_url, remote_.kling_key
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="dailies-bench-") as tmp_name:
        tmp = Path(tmp_name)
        values = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DAILIES_", "KLING_"))},
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack_api,
            "KLING_API_KEY": kling_key,
            "KLING_BASE_URL": kling_url,
            "DAILIES_DB": str(tmp / "dailies.db"),
            "DAILIES_MEDIA_DIR": str(tmp / "media"),
            "DAILIES_ALLOW_PRIVATE_URLS": "1",
            "PYTHONPATH": str(ROOT),
            **{k: v for k, v in os.environ.items() if k == "DAILIES_BENCH_SLOW_MS"},
            **env,
        }
        stderr_path = tmp / "serve.log"
        with stderr_path.open("wb") as log:
            proc = subprocess.Popen(
                _serve_command(port, tmp), env=values, cwd=tmp, stdout=log, stderr=subprocess.STDOUT
            )
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
        stage_ = Stage(
            slack or remote_, kling, f"http://127.0.0.1:{port}", proc, tmp, session, 0, stderr_path
        )
        stage_.remote = remote_
        try:
            await _wait_up(stage_)
            yield stage_
        finally:
            await session.close()
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if remote_ is not None:
                remote_.stop()
            else:
                await kling.close()
                await slack.stop()


async def _wait_up(stage_: Stage, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stage_.proc.poll() is not None:
            raise RuntimeError(f"dailies serve exited:\n{stage_.stderr_path.read_text()[-2000:]}")
        try:
            await stage_.in_flight()
            return
        except (aiohttp.ClientError, OSError):
            await asyncio.sleep(0.1)
    raise RuntimeError("dailies serve did not come up within 30 s")


async def wait_until(predicate, timeout: float, what: str, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(every)
