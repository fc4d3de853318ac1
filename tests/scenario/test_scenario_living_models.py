"""Issue 23, living models: signed /video in against stand-ins that publish model lists; Dailies
sends only an id the backend lists, refuses a model the list drops before any call, and marks a
model the backend answers "gone" at once (the job fails at $0, the next request is refused)."""

from __future__ import annotations

import asyncio

from bot.providers.discovery import State
from storage import model_sightings
from tests.fakes.aimlapi import FakeAimlApi
from tests.fakes.gemini import FakeGemini
from tests.fakes.kling import FakeKling
from tests.harness import running_bot
from tests.scenario.test_scenario_backends import aiml_env, deliver, kling_env
from tests.scenario.test_scenario_provider_errors import ephemeral, failed_job
from tests.scenario.test_scenario_threads import reply
from tests.scenario.test_scenario_veo import creates, gemini_env

PREVIEW_IDS = {"veo-3.1-generate-preview", "veo-3.1-fast-generate-preview"}


async def _until(check, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not check():
        assert loop.time() < end, "the model watch did not catch up"
        await asyncio.sleep(0.05)


async def test_veo_on_a_gemini_key_reaches_the_first_listed_id_over_every_page(tmp_path, slack):
    """The key lists only the preview id (one model per page): that is the id sent, never the -001."""
    async with FakeGemini(page_size_cap=1) as fake:
        fake.set_listed({"veo-3.1-generate-preview"})
        async with running_bot(tmp_path, slack, **gemini_env(fake)) as bot:
            await deliver(bot, slack, "a lighthouse at dusk --model veo-3.1 --seconds 8")
            (create,) = creates(fake)
            assert create.path == "/v1beta/models/veo-3.1-generate-preview:predictLongRunning"
            pages = [r for r in fake.requests if r.path == "/v1beta/models"]
            assert len(pages) >= 2 and pages[1].query["pageToken"]  # every page read
            assert all(r.headers["x-goog-api-key"] == fake.api_key for r in pages)


async def test_a_retired_veo_id_is_never_sent(tmp_path, slack):
    """Google shut the preview ids down: the list lacks them, -001 is sent, and `veo-3.1-fast`,
    whose only listed id would be a preview one here, is sent as its -001 id too."""
    async with FakeGemini() as fake:
        fake.retire_models(PREVIEW_IDS)
        async with running_bot(tmp_path, slack, **gemini_env(fake)) as bot:
            await deliver(bot, slack, "a lighthouse at dusk --model veo-3.1 --seconds 8")
            await deliver(bot, slack, "a harbour at dawn --model veo-3.1-fast --seconds 4")
            paths = [r.path for r in creates(fake)]
            assert paths == [
                "/v1beta/models/veo-3.1-generate-001:predictLongRunning",
                "/v1beta/models/veo-3.1-fast-generate-001:predictLongRunning",
            ]
            assert not any("preview" in r.path for r in fake.requests)


async def test_a_model_the_list_drops_is_refused_before_any_call_naming_alternatives(tmp_path, slack):
    async with (
        FakeGemini() as fake,
        running_bot(tmp_path, slack, DAILIES_MODEL_LIST_SECONDS="0.2", **gemini_env(fake)) as bot,
    ):
        await deliver(bot, slack, "a lighthouse at dusk --model veo-3.1 --seconds 8")
        fake.set_listed({"veo-3.1-fast-generate-001"})  # Google drops Veo 3.1 from this key's list
        gemini = bot.dailies.providers["gemini"]
        await _until(lambda: gemini.model_state("veo-3.1").state is State.UNAVAILABLE)
        posts = len(creates(fake))
        assert (await bot.command("a lighthouse at dusk --model veo-3.1 --seconds 8"))[0] == 200
        body = await ephemeral(slack)
        assert "`veo-3.1` can't run here: Gemini API no longer serves it (unavailable since" in body
        assert "last seen" in body
        assert "models available here:" in body and "veo-3.1-fast" in body
        assert "Try `--model kling-v3-pro`" in body  # the catalogue's alternative, running here
        assert len(creates(fake)) == posts and len(await bot.jobs()) == 1  # no call, no job
        # in the delivered clip's thread, another take gets the same check
        (job,) = await bot.jobs()
        card_ts = (await bot.dailies.store.run(lambda db: db["shots"].get(job["shot_id"])))["card_ts"]
        await reply(bot, card_ts, "again")
        await slack.wait_for(lambda: slack.count("chat.postEphemeral") == 1)
        (told,) = slack.calls_to("chat.postEphemeral")
        assert told.params["user"] == "U0ALICE" and "`veo-3.1` can't run here" in told.params["text"]
        assert "Gemini API no longer serves it (unavailable since" in told.params["text"]
        assert len(creates(fake)) == posts and len(await bot.jobs()) == 1
        # every replica agrees: the database has it, not only this process
        reads, rows = await bot.dailies.store.run(model_sightings.everything)
        dropped = {r["provider_id"]: r for r in rows if r["backend"] == "gemini"}
        assert "gemini" in reads and dropped["veo-3.1-generate-001"]["missing_since"]
        assert dropped["veo-3.1-generate-001"]["last_seen"]


async def test_a_model_the_gateway_starts_answering_gone_fails_at_no_cost_and_is_refused_next(
    tmp_path, slack
):
    """The AI/ML API still lists Veo 3.1, but its create answers 404 "Model is deprecated": that
    job fails at $0 naming a living alternative, and the next request is refused before any call."""
    async with FakeAimlApi(polls_to_finish=1) as fake, running_bot(tmp_path, slack, **aiml_env(fake)) as bot:
        fake.retire_models({"google/veo-3.1-t2v"})
        assert (await bot.command("a lighthouse at dusk --model veo-3.1 --seconds 8"))[0] == 200
        job, message = await failed_job(bot, slack)  # also checks the job and its takes cost $0
        assert "Nothing was charged" in message and "Try `--model kling-v3-pro`" in message
        assert len(fake.created()) == 1
        rows = await bot.dailies.store.run(
            lambda db: db.query("SELECT * FROM model_sightings WHERE backend = 'aimlapi'")
        )
        assert [(r["provider_id"], bool(r["gone_at"])) for r in rows if r["gone_at"]] == [
            ("google/veo-3.1-t2v", True)
        ]
        assert (await bot.command("a lighthouse at dusk --model veo-3.1 --seconds 8"))[0] == 200
        body = await ephemeral(slack)
        assert "`veo-3.1` can't run here" in body and "unavailable since" in body
        assert "kling-v3-pro" in body
        assert len(fake.created()) == 1 and len(await bot.jobs()) == 1


async def test_kling_direct_has_no_list_so_its_models_are_unknown_until_it_answers_gone(tmp_path, slack):
    async with FakeKling(polls_to_finish=1) as fake, running_bot(tmp_path, slack, **kling_env(fake)) as bot:
        kling = bot.dailies.providers["kling"]
        assert kling.model_state("kling-v3-pro").state is State.UNKNOWN
        fake.fail_next_create(code=1203, http=400, message="model_name kling-v3 is not supported")
        assert (await bot.command("a fox at dawn --model kling-v3-pro --seconds 5"))[0] == 200
        _, message = await failed_job(bot, slack)  # at $0
        assert "Kling does not serve that model" in message and "Nothing was charged" in message
        assert kling.model_state("kling-v3-pro").state is State.UNAVAILABLE
        creates = len([r for r in fake.requests if r.method == "POST"])
        assert (await bot.command("a fox at dawn --model kling-v3 --seconds 5"))[0] == 200  # same Kling id
        body = await ephemeral(slack)
        assert "`kling-v3` can't run here: Kling no longer serves it (unavailable since" in body
        assert len([r for r in fake.requests if r.method == "POST"]) == creates
