"""Issue 24: `for 9:16 1:1` in a board's thread and the board's Every aspect button render each
approved version again as one batch: one estimate and one gate decision for all of them, held for
one approval on the board when over the limit (✅ starts all, ❌ cancels all)."""

from __future__ import annotations

import json

from tests.fakes.kling import FakeKling
from tests.fakes.slack_requests import reaction_event, view_submission_payload
from tests.harness import running_bot
from tests.scenario.test_campaign_final import gate_rows, thread_replies
from tests.scenario.test_scenario_campaigns import (
    ALICE,
    CHANNEL,
    approve_clip_of,
    board_ts,
    campaign_form,
    delivered,
    eventually,
    interact,
    reply_on_board,
)


async def renders(bot) -> list[dict]:
    """The jobs made after the campaign's own (one per shot): its renders at other aspects."""
    return (await bot.jobs())[3:]


async def _states(bot, *states: str, n: int = 4) -> bool:
    jobs = await renders(bot)
    return len(jobs) == n and all(j["state"] in states for j in jobs)


async def test_every_aspect_is_estimated_and_gated_as_one_batch(tmp_path, slack):
    async with FakeKling(polls_to_finish=1) as fake:
        env = {"KLING_BASE_URL": fake.url, "KLING_API_KEY": fake.api_key}
        async with running_bot(tmp_path, slack, **env) as bot:
            view = await campaign_form(bot, slack)
            values = {"title": "Aspects", "model": "kling-v3", "seconds": "5", "aspects": ["16:9"],
                      "shots": "a red sneaker\na blue sneaker\na green sneaker"}  # fmt: skip
            await interact(bot, view_submission_payload(view, values, user_id=ALICE))
            await eventually(lambda: delivered(bot, 3))
            await bot.settle()
            ts = await board_ts(bot)
            s1 = await approve_clip_of(bot, slack, ts, 1)
            s3 = await approve_clip_of(bot, slack, ts, 3)
            each = (await bot.jobs())[0]["estimate_usd"]
            # each render alone is under the per-job limit; the four together are over it
            await bot.command(f"settings job-limit {each * 1.5:.2f}")
            created = len(fake.creates)

            await reply_on_board(bot, slack, ts, "for 9:16 1:1")
            await eventually(lambda: _states(bot, "awaiting_approval"))
            held = await renders(bot)
            assert sorted((j["shot_id"], j["request"]["aspect"]) for j in held) == sorted(
                (s["shot_id"], a) for s in (s1, s3) for a in ("9:16", "1:1")
            )
            assert all(j["estimate_usd"] == each for j in held)
            answer = next(t for t in thread_replies(slack, ts) if "for one approval" in t)
            assert answer.startswith(
                ":raised_hand: The renders of S1 at 9:16, S1 at 1:1, S3 at 9:16, S3 at 1:1 wait for one approval"
            )
            notes = await gate_rows(bot)
            assert len(notes) == 1 and notes[0].startswith("the renders of S1 at 9:16, S1 at 1:1, S3 at 9:16")
            assert " held: estimate" in notes[0]
            await bot.settle()
            board = json.dumps(slack.message(CHANNEL, ts)["blocks"])
            assert f"waits for one approval of ${4 * each:.2f}" in board

            # ❌ on the board cancels all four; nothing rendered
            await bot.event(reaction_event("x", user=ALICE, channel=CHANNEL, ts=ts))
            await eventually(lambda: _states(bot, "cancelled"))
            assert len(fake.creates) == created

            # the board's Every aspect button: the same batch, held once more; ✅ starts all of them
            await bot.settle()
            buttons = [
                e
                for b in slack.message(CHANNEL, ts)["blocks"]
                if b["type"] == "actions"
                for e in b["elements"]
            ]
            every = next(b for b in buttons if b["action_id"] == "campaign_every_aspect")
            await bot.action(
                every["action_id"], every["value"], user_id=ALICE, channel_id=CHANNEL, message_ts=ts
            )
            await eventually(lambda: _states(bot, "cancelled", "awaiting_approval", n=8))
            assert sum(j["state"] == "awaiting_approval" for j in await renders(bot)) == 4
            assert len(await gate_rows(bot)) == 2
            await bot.event(reaction_event("white_check_mark", user=ALICE, channel=CHANNEL, ts=ts))

            async def four_delivered() -> bool:
                return sum(j["state"] == "delivered" for j in await renders(bot)) == 4

            await eventually(four_delivered, timeout=30)
            assert len(fake.creates) == created + 4
            started = [j for j in await renders(bot) if j["state"] == "delivered"]
            assert sorted(j["request"]["aspect"] for j in started) == ["1:1", "1:1", "9:16", "9:16"]
            # same seed as the approved version each is rendered from
            seeds = {t["shot_id"]: t["seed"] for t in (s1, s3)}
            ids = {j["id"] for j in started}
            takes = [
                t
                for t in await bot.dailies.store.run(lambda db: db.query("SELECT * FROM takes"))
                if t["job_id"] in ids
            ]
            assert len(takes) == 4 and all(t["seed"] == seeds[t["shot_id"]] for t in takes)
