"""`dailies serve` (or `dailies run`, Socket Mode) as a subprocess against stand-ins in the test
process, so a test can kill -9 it at a chosen stage of a job and restart it on the same database (a
SQLite file, or PostgreSQL when `DATABASE_URL` is given, which several FaultBots can share as replicas)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiohttp
import psycopg
from psycopg.rows import dict_row

from tests.fakes.slack import APP_TOKEN, BOT_TOKEN, ScriptedSlack
from tests.fakes.slack_requests import FORM, SIGNING_SECRET, post_signed, slash_command_body

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dailies() -> list[str]:
    """The `dailies` console script an operator runs (this venv's), else the module behind it."""
    script = Path(sys.executable).parent / "dailies"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


class FaultBot:
    """One `dailies serve` process at a time (`mode="run"`: `dailies run`, connected over Socket Mode);
    `kill()` is kill -9, `start()` restarts it."""

    def __init__(self, tmp: Path, slack: ScriptedSlack, mode: str = "serve", **env: str) -> None:
        self.tmp, self.slack, self.mode = tmp, slack, mode
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.db_path = Path(env.pop("DAILIES_DB", tmp / "dailies.db"))
        self.database_url = env.get("DATABASE_URL", "")
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            **({"SLACK_APP_TOKEN": APP_TOKEN} if mode == "run" else {}),
            "DAILIES_DB": str(self.db_path),
            "DAILIES_MEDIA_DIR": str(tmp / "media"),
            "DAILIES_POLL_SECONDS": "0.05",
            "DAILIES_POLL_CEILING_SECONDS": "0.2",
            "DAILIES_CARD_INTERVAL_SECONDS": "0.2",
            "DAILIES_ALLOW_PRIVATE_URLS": "1",
            "DAILIES_PREVIEW_SCALE": "0.5",  # 640x360 drafts: these tests are about the flow, not pixels
            **env,
        }
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.starts = 0

    async def start(self) -> None:
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.starts += 1
        log = open(self.tmp / f"serve-{self.starts}.log", "wb")  # noqa: SIM115 - owned by the process
        sockets = self.slack.sockets_opened
        self.proc = subprocess.Popen(
            [*_dailies(), self.mode, "--host", "127.0.0.1", "--port", str(port)],
            env=self.env,
            cwd=self.tmp,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        async with aiohttp.ClientSession() as session:
            while loop.time() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"dailies {self.mode} exited {self.proc.returncode}: {self.log()}")
                if self.mode == "run":  # up once its Socket Mode connection is open
                    if self.slack.sockets_opened > sockets:
                        return
                    await asyncio.sleep(0.05)
                    continue
                try:
                    async with session.get(self.url + "/healthz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError(f"dailies {self.mode} did not come up: {self.log()}")

    def kill(self) -> None:
        """kill -9: no shutdown code runs."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.kill()

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.tmp.glob("serve-*.log")))

    async def command(self, text: str, **fields: str) -> tuple[int, str]:
        fields.setdefault("response_url", self.slack.response_url(fields.get("channel_id", "C0CHANNEL")))
        body = slash_command_body(text, **fields)
        return await post_signed(self.url, "/slack/events", body, FORM)

    # ---- reading the database from outside (WAL allows a reader beside the writer) ----

    async def health(self) -> dict:
        async with aiohttp.ClientSession() as session, session.get(self.url + "/healthz") as resp:
            return await resp.json()

    def rows(self, sql: str, params: tuple = ()) -> list[dict]:
        if self.database_url:
            with psycopg.connect(self.database_url, autocommit=True, row_factory=dict_row) as pg:
                return list(pg.execute(sql.replace("?", "%s"), params))
        conn = sqlite3.connect(self.db_path, timeout=10)
        try:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(sql, params)]
        finally:
            conn.close()

    def jobs(self) -> list[dict]:
        return [
            {**j, "request": json.loads(j["request"])} for j in self.rows("SELECT * FROM jobs ORDER BY id")
        ]

    def takes(self) -> list[dict]:
        return self.rows("SELECT * FROM takes ORDER BY id")

    async def wait(self, predicate, what: str, timeout: float = 20.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            try:
                if predicate():
                    return
            except (sqlite3.OperationalError, psycopg.errors.UndefinedTable):
                pass  # the table does not exist yet
            await asyncio.sleep(0.03)
        raise AssertionError(f"timed out waiting for {what}: takes={self.takes()}\n{self.log()[-3000:]}")

    async def wait_take(self, *states: str, timeout: float = 20.0) -> dict:
        await self.wait(
            lambda: any(t["state"] in states for t in self.takes()), f"a take in {states}", timeout
        )
        return next(t for t in self.takes() if t["state"] in states)
