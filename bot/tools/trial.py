"""`dailies try`: one request end to end without a Slack workspace, against the in-process
stand-in of the Slack Web API, printing what the channel would show."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import time
import uuid

from slack_bolt.request.async_request import AsyncBoltRequest

from bot.app import build
from bot.config import Config
from bot.outcomes import Refusal
from bot.request import VideoRequest, parse_command
from bot.tools.slack_standin.standin import SlackStandIn
from storage import jobs as jobs_db
from storage.states import ENDED, JobState, TakeState

CHANNEL, USER, TEAM = "C0TRY", "U0YOU", "T0DAILIES"


async def run_try(config: Config, text: str, *, out=sys.stdout, timeout: float = 600.0) -> int:
    standin = SlackStandIn(team_id=TEAM, ts_base=int(time.time()))
    await standin.start()
    config = dataclasses.replace(
        config,
        slack_bot_token="xoxb-dailies-try",
        slack_api_url=standin.api_url,
        keep_media=True,
        card_interval_seconds=min(config.card_interval_seconds, 1.0),
    )
    dailies = build(config)
    try:
        await dailies.start()
        trigger = f"try-{uuid.uuid4().hex[:12]}"
        payload = {
            "token": "try",
            "team_id": TEAM,
            "team_domain": "dailies",
            "channel_id": CHANNEL,
            "channel_name": "try",
            "user_id": USER,
            "user_name": "you",
            "command": "/video",
            "text": text,
            "response_url": standin.response_url(CHANNEL),
            "trigger_id": trigger,
            "api_app_id": "A0DAILIES",
        }
        print(f"/video {text}", file=out)
        started = time.monotonic()
        response = await dailies.app.async_dispatch(AsyncBoltRequest(body=payload, mode="socket_mode"))
        if response.body:
            print(f"(only you see) {_ack_text(response.body)}", file=out)
        parsed = parse_command(text, catalogue=dailies.studio.catalogue)
        wants_video = isinstance(parsed, VideoRequest)
        job = await _wait_for_job(dailies, f"cmd:{trigger}", standin, out) if wants_video else None
        if job is None:
            if not response.body:  # answered later, at the response URL (a refusal is in the ack)
                await _responses_settle(standin)
            for r in standin.responses:
                print(f"(only you see) {r['body'].get('text', '')}", file=out)
            # a subcommand answered is a success; a video request that made no job was refused
            return 1 if wants_video or isinstance(parsed, Refusal) else 0
        job = await _follow(dailies, job["id"], out, timeout)
        await dailies.cards.drain()
        print("\nThe job card went through:", file=out)
        for state in card_states(standin):
            print(f"  {state}", file=out)
        print(f"\nWhat #{CHANNEL} shows ({time.monotonic() - started:.1f}s):", file=out)
        for line in standin.transcript(CHANNEL):
            print("  " + line.replace("\n", "\n      "), file=out)
        card = standin.messages.get(CHANNEL, [{}])[0]
        print("\nThe card now reads:", file=out)
        for line in card_lines(standin.message(CHANNEL, card.get("ts", "")) or {}):
            print(f"  | {line}", file=out)
        takes = await dailies.store.run(jobs_db.takes_of_job, job["id"])
        for take in takes:
            if take["state"] == TakeState.DELIVERED and take["media_path"]:
                print(f"MP4: {take['media_path']}", file=out)
        return 0 if job["state"] == JobState.DELIVERED else 1
    finally:
        await dailies.close()
        await standin.stop()


async def _responses_settle(standin: SlackStandIn, wait: float = 5.0) -> None:
    """Subcommand answers arrive at the response URL shortly after the ack."""
    deadline = time.monotonic() + wait
    while not standin.responses and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


def card_states(standin: SlackStandIn) -> list[str]:
    """The first line of each version of the card, in order, without repeats."""
    states: list[str] = []
    for call in standin.calls:
        if call.method in ("chat.postMessage", "chat.update") and not call.params.get("thread_ts"):
            blocks = call.params.get("blocks") or []
            if isinstance(blocks, str):
                blocks = json.loads(blocks)
            line = (
                card_lines({"blocks": blocks[:1]})[0].strip("*") if blocks else str(call.params.get("text"))
            )
            if not states or states[-1] != line:
                states.append(line)
    return states


def card_lines(message: dict) -> list[str]:
    """A Block Kit card as plain lines, for a terminal."""
    lines: list[str] = []
    for block in message.get("blocks") or []:
        if block.get("type") == "section":
            lines += block.get("text", {}).get("text", "").splitlines()
        elif block.get("type") == "context":
            lines += [e.get("text", "") for e in block.get("elements", [])]
        elif block.get("type") == "actions":
            lines.append("  ".join(f"[{e['text']['text']}]" for e in block.get("elements", [])))
    return lines


def _ack_text(body: str) -> str:
    try:
        return json.loads(body).get("text", body)
    except ValueError:
        return body


async def _wait_for_job(dailies, source_key: str, standin: SlackStandIn, out, wait: float = 30.0):
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        job_id = await dailies.store.run(jobs_db.job_id_for_source, source_key)
        if job_id is not None:
            return {"id": job_id}
        if standin.responses:
            return None
        await asyncio.sleep(0.05)
    return None


async def _follow(dailies, job_id: int, out, timeout: float) -> dict:
    """A live progress line until the job ends."""
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        job = await dailies.store.run(jobs_db.get_job, job_id)
        takes = await dailies.store.run(jobs_db.takes_of_job, job_id)
        detail = ", ".join(f"v{t['version']} {t['state']} {t['progress'] or 0}%" for t in takes)
        line = f"J{job_id} {job['state']} · {detail}"
        if line != last:
            print(f"  {line}", file=out, flush=True)
            last = line
        if job["state"] in ENDED or time.monotonic() > deadline:
            return job
        await asyncio.sleep(0.2)
