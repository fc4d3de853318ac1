"""Issue 24: `final` in a board's thread renders every shot's approved version on the final model as
one batch: one estimate and one gate decision for all of them, held for one approval on the board
(✅ starts all, ❌ cancels all), with the shots lacking an approved version named in the reply."""

from __future__ import annotations

import json

from tests.fakes.kling import FakeKling
from tests.fakes.slack_requests import TEAM_ID, reaction_event, view_submission_payload
from tests.harness import running_bot
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


def thread_replies(slack, ts: str) -> list[str]:
    """What Dailies told the person in the board's thread (an ephemeral message)."""
    return [c.params["text"] for c in slack.calls_to("chat.postEphemeral") if c.params.get("thread_ts") == ts]


async def finals(bot) -> list[dict]:
    return [j for j in await bot.jobs() if j["kind"] == "final"]


async def gate_rows(bot) -> list[str]:
    return await bot.dailies.store.run(
        lambda db: [r["detail"] for r in db.query("SELECT * FROM audit WHERE action = 'gate' ORDER BY id")]
    )


async def test_final_is_estimated_and_gated_as_one_batch(tmp_path, slack):
    async with FakeKling(polls_to_finish=1) as fake:
        env = {"KLING_BASE_URL": fake.url, "KLING_API_KEY": fake.api_key}
        async with running_bot(tmp_path, slack, **env) as bot:
            view = await campaign_form(bot, slack)
            values = {"title": "Finals", "model": "kling-v3", "seconds": "5", "aspects": ["16:9"],
                      "shots": "a red sneaker\na blue sneaker\na green sneaker"}  # fmt: skip
            await interact(bot, view_submission_payload(view, values, user_id=ALICE))
            await eventually(lambda: delivered(bot, 3))
            await bot.settle()
            ts = await board_ts(bot)
            await approve_clip_of(bot, slack, ts, 1)
            await approve_clip_of(bot, slack, ts, 3)
            await bot.command("settings final-model kling-v3")
            each = await final_estimate(bot, (await bot.jobs())[0]["shot_id"])
            # each final alone is under the per-job limit; the two together are over it
            await bot.command(f"settings job-limit {each * 1.5:.2f}")
            renders = len(fake.creates)

            await reply_on_board(bot, slack, ts, "final")
            held = await eventually(lambda: finals(bot))
            assert len(held) == 2 and {j["state"] for j in held} == {"awaiting_approval"}
            assert all(j["estimate_usd"] == each for j in held)
            answer = await eventually(lambda: _said(slack, ts, "waits for one approval"))
            assert "The final of S1, S3 waits for one approval" in answer
            assert "No approved version of S2" in answer
            notes = await gate_rows(bot)
            assert notes[-1].startswith("the final of S1, S3 held: estimate") and len(notes) == 1
            await bot.settle()
            board = json.dumps(slack.message(CHANNEL, ts)["blocks"])
            assert f"waits for one approval of ${2 * each:.2f}" in board

            # ❌ on the board cancels both finals; nothing rendered
            await bot.event(reaction_event("x", user=ALICE, channel=CHANNEL, ts=ts))

            async def cancelled():
                return {j["state"] for j in await finals(bot)} == {"cancelled"}

            await eventually(cancelled)
            assert len(fake.creates) == renders

            # asked again, ✅ starts both: one approval for the batch
            await reply_on_board(bot, slack, ts, "final")
            await eventually(lambda: _count_held(bot, 2))
            await bot.event(reaction_event("white_check_mark", user=ALICE, channel=CHANNEL, ts=ts))

            async def both_delivered():
                return sum(j["state"] == "delivered" for j in await finals(bot)) == 2

            await eventually(both_delivered)
            assert len(fake.creates) == renders + 2
            shots = await bot.dailies.store.run(
                lambda db: {
                    r["id"]: r["campaign_shot"] for r in db.query("SELECT id, campaign_shot FROM shots")
                }
            )
            assert sorted(shots[j["shot_id"]] for j in await finals(bot) if j["state"] == "delivered") == [
                1,
                3,
            ]


async def test_final_under_the_limit_starts_every_approved_shot_at_once(tmp_path, slack):
    async with running_bot(tmp_path, slack) as bot:
        view = await campaign_form(bot, slack)
        values = {"title": "Free", "model": "preview", "seconds": "1", "aspects": ["16:9"], "shots": "a\nb"}
        await interact(bot, view_submission_payload(view, values, user_id=ALICE))
        await eventually(lambda: delivered(bot, 2))
        await bot.settle()
        ts = await board_ts(bot)
        await reply_on_board(bot, slack, ts, "final")
        answer = await eventually(lambda: _said(slack, ts, "approved version"))
        assert "No shot has an approved version yet" in answer and await finals(bot) == []
        await approve_clip_of(bot, slack, ts, 2)
        await bot.command("settings budget 10")
        await reply_on_board(bot, slack, ts, "final")
        await eventually(lambda: delivered(bot, 3))
        started = await finals(bot)
        assert len(started) == 1 and started[0]["state"] == "delivered"
        assert (await gate_rows(bot))[-1] == "the final of S2 started: $0.00"
        assert any("No approved version of S1" in t for t in thread_replies(slack, ts))


async def final_estimate(bot, shot_id: int) -> float:
    """What one shot's final costs: the price the studio would quote for it."""
    from bot.request import ThreadInstruction
    from bot.studio.origin import Origin

    plan = await bot.dailies.studio.thread_jobs.plan(
        Origin(CHANNEL, ALICE, TEAM_ID), shot_id, ThreadInstruction("final", version=1)
    )
    return plan.estimate_usd


async def _said(slack, ts: str, words: str) -> str | None:
    return next((t for t in reversed(thread_replies(slack, ts)) if words in t), None)


async def _count_held(bot, n: int) -> bool:
    return sum(j["state"] == "awaiting_approval" for j in await finals(bot)) == n
