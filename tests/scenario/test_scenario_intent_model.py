"""Issue 22, the optional language model (DAILIES_INTENT_MODEL) as Slack drives it: a reply the rules
take for a plain edit is read by a stand-in chat model (AI/ML API or Gemini API) into the same plan;
when the model fails, answers garbage or is slow, the rules decide and nobody sees an error."""

from __future__ import annotations

import time
from contextlib import asynccontextmanager

from storage import audit
from tests.fakes.chat_model import KEY, USD_PER_CALL, FakeChatModel
from tests.fakes.slack_requests import TEAM_ID
from tests.harness import running_bot
from tests.scenario.test_scenario_thread_talk import ALICE, CHANNEL, card_text, first_shot, say

INSTAGRAM = "same thing but for Instagram and a bit slower"
PLAN = {"kind": "again", "instruction": "a bit slower", "aspect": "1:1", "seconds": 0, "takes": 1}


@asynccontextmanager
async def with_model(tmp_path, slack, backend: str = "aimlapi"):
    chat = await FakeChatModel(plan=PLAN).start()
    if backend == "aimlapi":
        env = {"AIMLAPI_API_KEY": KEY, "AIMLAPI_BASE_URL": chat.base_url}
        model = "google/gemini-3.5-flash-lite"
    else:
        env = {"GEMINI_API_KEY": KEY, "GEMINI_BASE_URL": chat.base_url}
        model = "gemini-3.5-flash-lite"
    try:
        async with running_bot(tmp_path, slack, DAILIES_INTENT_MODEL=model, **env) as bot:
            yield bot, chat
    finally:
        await chat.close()


async def audited(bot) -> list[str]:
    rows = await bot.dailies.store.run(audit.latest, TEAM_ID, CHANNEL)
    return [r["detail"] for r in rows if r["action"] == "intent model"]


async def test_the_models_plan_is_used_a_1_1_re_render_with_the_instruction(tmp_path, slack):
    async with with_model(tmp_path, slack) as (bot, chat):
        card_ts = await first_shot(bot, slack)
        await say(bot, card_ts, INSTAGRAM, user=ALICE)
        job = await bot.wait_job("delivered", job_index=1)
        assert (job["kind"], job["model"], job["request"]["aspect"]) == ("again", "preview", "1:1")
        assert job["request"]["prompt"] == "a lighthouse at dusk. a bit slower"
        assert job["parent_take_id"] is None, "a new render of the request, not an edit of the clip"
        await bot.settle()
        assert "v2 (re-render at 1:1 · “a bit slower” of v1)" in card_text(slack, card_ts)
        (call,) = chat.calls()
        assert call.path == "/v1/chat/completions" and call.json["model"] == "google/gemini-3.5-flash-lite"
        assert INSTAGRAM in call.json["messages"][1]["content"]
        assert call.json["response_format"]["json_schema"]["strict"] is True
        (row,) = await audited(bot)
        assert "re-render at 1:1" in row and f"${USD_PER_CALL:.6f}" in row, row
        assert slack.count("chat.postEphemeral") == 0


async def test_on_the_gemini_api_the_plan_is_used_too(tmp_path, slack):
    async with with_model(tmp_path, slack, backend="gemini") as (bot, chat):
        chat.plan = {"kind": "again", "instruction": "", "aspect": "9:16", "seconds": 0, "takes": 2}
        card_ts = await first_shot(bot, slack)
        await say(bot, card_ts, "could we have a couple for the phone crowd", user=ALICE)
        job = await bot.wait_job("delivered", job_index=1)
        assert (job["kind"], job["takes"], job["request"]["aspect"]) == ("again", 2, "9:16")
        (call,) = chat.calls()
        assert call.path == "/v1beta/models/gemini-3.5-flash-lite:generateContent"
        assert call.json["generationConfig"]["responseJsonSchema"]["required"]
        (row,) = await audited(bot)
        assert "320 tokens" in row, row


async def test_replies_the_rules_understand_never_reach_the_model(tmp_path, slack):
    async with with_model(tmp_path, slack) as (bot, chat):
        card_ts = await first_shot(bot, slack)
        await say(bot, card_ts, "vertical please", user=ALICE)
        job = await bot.wait_job("delivered", job_index=1)
        assert job["request"]["aspect"] == "9:16" and chat.calls() == []
        assert await audited(bot) == []


async def rules_decide(bot, slack, chat) -> dict:
    card_ts = await first_shot(bot, slack)
    await say(bot, card_ts, INSTAGRAM, user=ALICE)
    job = await bot.wait_job("delivered", job_index=1, timeout=30)
    assert (job["kind"], job["request"]["instruction"]) == ("edit", INSTAGRAM), "the rules' edit"
    assert len(chat.calls()) == 1
    (row,) = await audited(bot)
    assert "rules used" in row, row
    assert slack.count("chat.postEphemeral") == 0, "never shown as an error"
    return job


async def test_a_failing_model_leaves_the_rules_to_decide(tmp_path, slack):
    async with with_model(tmp_path, slack) as (bot, chat):
        chat.status = 500
        await rules_decide(bot, slack, chat)


async def test_a_garbage_answer_leaves_the_rules_to_decide(tmp_path, slack):
    async with with_model(tmp_path, slack) as (bot, chat):
        chat.garbage = "Sure! Here is the plan: make it square"
        await rules_decide(bot, slack, chat)


async def test_an_answer_the_checks_refuse_leaves_the_rules_to_decide(tmp_path, slack):
    async with with_model(tmp_path, slack) as (bot, chat):
        chat.plan = {**PLAN, "seconds": 45}  # the preview renders 1 to 20 s
        await rules_decide(bot, slack, chat)


async def test_a_slow_model_leaves_the_rules_to_decide_after_five_seconds(tmp_path, slack):
    async with with_model(tmp_path, slack) as (bot, chat):
        chat.delay = 8.0
        card_ts = await first_shot(bot, slack)
        started = time.monotonic()
        await say(bot, card_ts, INSTAGRAM, user=ALICE)
        job = await bot.wait_job(("queued", "rendering", "uploading", "delivered"), job_index=1, timeout=30)
        waited = time.monotonic() - started
        assert job["kind"] == "edit" and 4.5 < waited < 7.5, waited
        await bot.wait_job("delivered", job_index=1)
        (row,) = await audited(bot)
        assert "no answer within 5 s" in row, row
