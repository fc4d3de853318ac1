"""Issue 3, error paths from Slack: every provider failure reaches the thread as one clear message
and leaves the job and its spend consistent (refusals, 429, balance, 5xx, deadline, retired Sora)."""

from __future__ import annotations

from tests.fakes.aimlapi import FakeAimlApi
from tests.fakes.kling import FakeKling
from tests.fakes.openai_videos import FakeOpenAIVideos, error_body
from tests.harness import running_bot
from tests.scenario.test_scenario_backends import aiml_env, kling_env, openai_env

CHANNEL = "C0CHANNEL"


async def failed_job(bot, slack, nth: int = 1) -> tuple[dict, str]:
    """The `nth` job (which must fail) and the failure message posted in its thread."""
    job = await bot.wait_job(("delivered", "failed"), job_index=nth - 1)
    assert job["state"] == "failed", "the job should have failed"
    await bot.settle()
    shot = await bot.dailies.store.run(lambda db: db["shots"].get(job["shot_id"]))
    replies = [m["text"] for m in slack.thread(CHANNEL, shot["card_ts"]) if m["ts"] != shot["card_ts"]]
    failures = [t for t in replies if t.startswith(":x:")]
    assert len(failures) == 1, replies
    assert (job["cost_usd"] or 0) == 0
    assert all((t["cost_usd"] or 0) == 0 for t in await bot.takes(job["id"]))
    card = slack.message(CHANNEL, shot["card_ts"])
    assert "Failed" in card["text"]
    return job, failures[0]


async def ephemeral(slack) -> str:
    """The one ephemeral answer sent through response_url."""
    await slack.wait_for(lambda: slack.count("response_url") == 1)
    return slack.calls_to("response_url")[0].params["text"]


def card_texts(slack) -> list[str]:
    return [
        str(c.params.get("text", "")) + str(c.params.get("blocks", ""))
        for c in slack.calls
        if c.method in ("chat.postMessage", "chat.update")
    ]


async def test_kling_refusal_at_create_is_shown_and_not_retried(tmp_path, slack):
    async with FakeKling() as fake, running_bot(tmp_path, slack, **kling_env(fake)) as bot:
        fake.fail_next_create(code=1301, http=400, message="content security policy: violence")
        await bot.command("a fox --model kling-v3")
        job, message = await failed_job(bot, slack)
        assert "refused" in message and "violence" in message
        assert len([r for r in fake.requests if r.method == "POST"]) == 1, "never retried"


async def test_openai_refusal_at_create_is_shown_and_not_retried(tmp_path, slack):
    async with FakeOpenAIVideos() as fake, running_bot(tmp_path, slack, **openai_env(fake)) as bot:
        blocked = error_body("Your request was rejected by the safety system.", code="moderation_blocked")
        fake.fail_next_create(400, blocked)
        await bot.command("a fox --model sora-2 --seconds 4")
        job, message = await failed_job(bot, slack)
        assert "refused" in message and "safety system" in message
        assert len(fake.created()) == 1


async def test_refusal_at_task_level_on_each_backend(tmp_path, slack):
    async with (
        FakeKling(polls_to_finish=1) as kling,
        FakeAimlApi(polls_to_finish=1) as aiml,
        FakeOpenAIVideos(polls_to_finish=2) as oa,
        running_bot(tmp_path, slack, **kling_env(kling), **aiml_env(aiml), **openai_env(oa)) as bot,
    ):
        kling.refuse_next_task("Failure to pass the risk control system")
        await bot.command("a fox --model kling-v3")
        _, message = await failed_job(bot, slack)
        assert "risk control" in message
        assert len(kling.creates) == 1

        oa.refuse_next_task("Your request was blocked by our moderation system.")
        await bot.command("a fox --model sora-2 --seconds 4")
        _, message = await failed_job(bot, slack, nth=2)
        assert "moderation" in message and len(oa.created()) == 1


async def test_aimlapi_refusal_at_task_level(tmp_path, slack):
    async with FakeAimlApi(polls_to_finish=1) as aiml, running_bot(tmp_path, slack, **aiml_env(aiml)) as bot:
        aiml.refuse_next_task("Content moderation: the prompt violates our policy")
        await bot.command("a fox --model kling-v3-pro")
        _, message = await failed_job(bot, slack)
        assert "violates our policy" in message and len(aiml.created()) == 1


async def test_rate_limited_then_success_says_waiting_for_the_provider(tmp_path, slack):
    async with FakeKling(polls_to_finish=1) as fake, running_bot(tmp_path, slack, **kling_env(fake)) as bot:
        fake.fail_next_create(code=1303, http=429, headers={"Retry-After": "1"})
        fake.fail_next_create(code=1302, http=429)
        await bot.command("a fox --model kling-v3")
        job = await bot.wait_job(("delivered", "failed"))
        assert job["state"] == "delivered", job["error"]
        await bot.settle()
        assert any("waiting for the provider" in t for t in card_texts(slack))
        assert len(fake.creates) == 1
        (take,) = await bot.takes(job["id"])
        assert take["cost_usd"] > 0 and job["cost_usd"] == take["cost_usd"]


async def test_aimlapi_429_honours_retry_after_then_delivers(tmp_path, slack):
    async with FakeAimlApi(polls_to_finish=1) as fake, running_bot(tmp_path, slack, **aiml_env(fake)) as bot:
        fake.fail_next_create(429, headers={"Retry-After": "1"})
        await bot.command("a fox --model sora-2 --seconds 4")
        job = await bot.wait_job(("delivered", "failed"))
        assert job["state"] == "delivered", job["error"]
        await bot.settle()
        assert any("waiting for the provider" in t for t in card_texts(slack))


async def test_out_of_balance_is_a_clear_message(tmp_path, slack):
    async with (
        FakeKling() as kling,
        FakeAimlApi() as aiml,
        running_bot(tmp_path, slack, **kling_env(kling), **aiml_env(aiml)) as bot,
    ):
        kling.out_of_balance()
        await bot.command("a fox --model kling-v3")
        _, message = await failed_job(bot, slack)
        assert "balance" in message.lower() or "credit" in message.lower() or "resource pack" in message
        assert len([r for r in kling.requests if r.method == "POST"]) == 1

        aiml.fail_next_create(403)
        await bot.command("a fox --model sora-2 --seconds 4")
        _, message = await failed_job(bot, slack, nth=2)
        assert "credit" in message.lower() or "balance" in message.lower()
        assert len(aiml.created()) == 1


async def test_server_errors_are_retried_then_deliver(tmp_path, slack):
    async with (
        FakeKling(polls_to_finish=1) as kling,
        FakeAimlApi(polls_to_finish=1) as aiml,
        running_bot(tmp_path, slack, **kling_env(kling), **aiml_env(aiml)) as bot,
    ):
        kling.fail_next_create(code=5000, http=500, message="internal error")
        kling.fail_next_poll(http=503, code=5001, message="service unavailable")
        await bot.command("a fox --model kling-v3")
        job = await bot.wait_job(("delivered", "failed"))
        assert job["state"] == "delivered", job["error"]
        assert len(kling.creates) == 1

        aiml.fail_next_create(502)
        await bot.command("a fox --model sora-2 --seconds 4")
        job = await bot.wait_job(("delivered", "failed"))
        assert job["state"] == "delivered", job["error"]
        assert len(aiml.generations) == 1


async def test_a_task_that_never_finishes_fails_at_the_deadline(tmp_path, slack):
    env = {"DAILIES_JOB_DEADLINE_SECONDS": "1.5"}
    async with FakeKling() as fake, running_bot(tmp_path, slack, **kling_env(fake), **env) as bot:
        fake.never_finish = True
        await bot.command("a fox --model kling-v3")
        _, message = await failed_job(bot, slack)
        assert "did not finish within" in message
        assert fake.polls >= 1


async def test_retired_sora_fails_fast_then_is_refused_before_a_job(tmp_path, slack):
    async with FakeOpenAIVideos() as fake, running_bot(tmp_path, slack, **openai_env(fake)) as bot:
        fake.retire_models({"sora-2", "sora-2-pro"})
        await bot.command("a fox --model sora-2 --seconds 4")
        _, message = await failed_job(bot, slack)
        assert "no longer served" in message and "--model" in message or "kling" in message
        # the provider knows now: the next request is refused before any job or provider call
        assert (await bot.command("a fox --model sora-2 --seconds 4"))[0] == 200
        body = await ephemeral(slack)
        assert "no longer served" in body and "kling" in body
        assert len(await bot.jobs()) == 1 and len(fake.created()) == 1


async def test_retired_sora_known_from_check_is_refused_before_a_job(tmp_path, slack):
    async with FakeOpenAIVideos() as fake, running_bot(tmp_path, slack, **openai_env(fake)) as bot:
        fake.retire_models({"sora-2", "sora-2-pro"})
        assert await bot.dailies.providers["openai"].check()
        assert (await bot.command("a fox --model sora-2-pro --seconds 4"))[0] == 200
        body = await ephemeral(slack)
        assert "no longer served" in body and "kling" in body
        assert await bot.jobs() == [] and fake.created() == []


async def test_retired_sora_on_the_gateway_names_a_model_to_use_instead(tmp_path, slack):
    async with FakeAimlApi() as fake, running_bot(tmp_path, slack, **aiml_env(fake)) as bot:
        fake.retire_models({"sora-2"})
        await bot.command("a fox --model sora-2 --seconds 4")
        _, message = await failed_job(bot, slack)
        assert "no longer serves" in message and "kling" in message
        assert (await bot.command("a fox --model sora-2 --seconds 4"))[0] == 200
        body = await ephemeral(slack)
        assert "sora-2" in body and "kling" in body
        assert len(await bot.jobs()) == 1 and len(fake.created()) == 1
