"""Issue 5: the channel's subject library, driven the way Slack drives it."""

from __future__ import annotations

from pathlib import Path

from bot.request.catalogue import shipped_catalogue
from bot.studio.subjects import apply_subjects, fold_descriptions
from tests.fakes.aimlapi import FakeAimlApi
from tests.fakes.kling import FakeKling
from tests.fakes.media_server import HUGE_BYTES, MediaServer, png_bytes
from tests.fakes.slack_requests import app_mention_event, message_event, reaction_event
from tests.harness import running_bot

get_model = shipped_catalogue().get

C1, C2 = "C0CHANNEL", "C0OTHER"


async def ask(bot, slack, text: str, channel: str = C1) -> str:
    """Send /video text and return the ephemeral answer (in the ack, or via response_url)."""
    before = slack.count("response_url")
    status, body = await bot.command(text, channel_id=channel)
    assert status == 200
    if body and body.strip() not in ("", "{}"):
        return body
    await slack.wait_for(lambda: slack.count("response_url") > before, timeout=20)
    return slack.calls_to("response_url")[-1].params["text"]


async def test_add_from_url_list_show_rename_remove(bot, slack):
    async with MediaServer() as media:
        answer = await ask(
            bot,
            slack,
            f"subject add maya {media.url('/img/800x1000.png')} {media.url('/img/600x600.png')} -- red coat, short hair",
        )
        assert "Added `{maya}` with 2 images" in answer
        listing = await ask(bot, slack, "subject list")
        assert "{maya}" in listing and "red coat, short hair" in listing and "2 images" in listing
        assert "U0ALICE" in listing or "<@" in listing
        shown = await ask(bot, slack, "subject show MAYA")
        assert "800×1000" in shown and "front view" in shown and "600×600" in shown
        stored = sorted((bot.tmp / "media" / "subjects").iterdir())
        assert len(stored) == 2 and all(len(p.stem) == 64 for p in stored)  # by content hash
        assert "already has a subject called `maya`" in await ask(
            bot, slack, f"subject add Maya {media.url('/img/800x800.png')}"
        )
        assert "Renamed `{maya}` to `{presenter}`" in await ask(bot, slack, "subject rename MAYA presenter")
        assert "no subject called {maya}" in await ask(bot, slack, "subject show maya")
        assert "Removed `{presenter}`" in await ask(bot, slack, "subject remove presenter")
        assert "no subjects yet" in await ask(bot, slack, "subject list")
        assert list((bot.tmp / "media" / "subjects").glob("*.png")) == []
    assert await bot.jobs() == []


async def test_add_from_attached_slack_file(bot, slack):
    file = slack.add_file("F0MAYA", png_bytes(700, 900), name="maya.png")
    event = app_mention_event(
        "subject add maya -- red coat, short hair",
        channel=C1,
        user="U0ALICE",
        ts="1700000000.000100",
        files=[file],
    )
    await bot.event(event)
    await slack.wait_for(lambda: slack.ephemerals, timeout=20)
    assert "Added `{maya}` with 1 image" in slack.ephemerals[-1]["text"]
    assert "700×900" in await ask(bot, slack, "subject show maya")


async def test_bad_images_are_refused_with_a_reason(bot, slack):
    async with MediaServer() as media:
        page = await ask(bot, slack, f"subject add maya {media.url('/page.html')}")
        assert "was not added" in page
        tiny = await ask(bot, slack, f"subject add maya {media.url('/img/1x1.png')}")
        assert "1×1 px" in tiny and "300 px" in tiny
        huge = await ask(bot, slack, f"subject add maya {media.url('/huge')}")
        assert "was not added" in huge
        assert media.bytes_sent_for("/huge") < HUGE_BYTES // 2  # stopped reading early
    assert "no subjects yet" in await ask(bot, slack, "subject list")
    assert [p for p in (bot.tmp / "media" / "subjects").glob("*") if not p.name.startswith(".")] == []


async def test_unknown_subject_and_isolation_between_channels(bot, slack):
    async with MediaServer() as media:
        await ask(bot, slack, f"subject add maya {media.url('/img/800x800.png')} -- red coat", channel=C1)
    other = await ask(bot, slack, "{maya} waves at the camera", channel=C2)
    assert "no subject called {maya}" in other and "subject add" in other
    assert "no subjects yet" in await ask(bot, slack, "subject list", channel=C2)
    assert "no subject called {maya}" in await ask(bot, slack, "subject show maya", channel=C2)
    assert "no subject called {maya}" in await ask(bot, slack, "subject remove maya", channel=C2)
    assert await bot.jobs() == []
    await bot.command("{maya} waves at the camera --model preview --seconds 2", channel_id=C1)
    job = await bot.wait_job("delivered")
    assert job["request"]["prompt"] == "maya (red coat) waves at the camera"


async def test_two_subjects_reach_kling_as_elements_created_once(tmp_path, slack):
    async with FakeKling() as kling, MediaServer() as media:
        env = {"KLING_API_KEY": kling.api_key, "KLING_BASE_URL": kling.url}
        async with running_bot(tmp_path, slack, **env) as bot:
            await ask(bot, slack, f"subject add solo {media.url('/img/700x900.png')} -- one view only")
            # Kling's element doc: a front image and 1 to 3 other views; one image is refused at once
            refused = await ask(bot, slack, "{solo} waves --model kling-v3 --seconds 5")
            assert "has one image" in refused and "/video subject add solo FRONT_URL OTHER_URL" in refused
            assert await bot.jobs() == [] and kling.elements_created == 0
            maya = f"{media.url('/img/800x1000.png')} {media.url('/img/810x1000.png')}"
            box = f"{media.url('/img/900x600.png')} {media.url('/img/910x600.png')}"
            await ask(bot, slack, f"subject add maya {maya} -- red coat")
            await ask(bot, slack, f"subject add box {box} -- a blue cereal box")
            await bot.command("{maya} holds up {box} --model kling-v3 --seconds 5")
            await bot.wait_job("delivered")
        images = [r.json["element_image_list"] for r in kling.requests if r.path.endswith("custom-elements")]
        assert {i["refer_images"][0]["image_url"] != i["frontal_image"] for i in images} == {True}
        route, body = kling.creates[-1]
        assert route == "omni-video"
        assert len(body["element_list"]) == 2
        assert "<<<element_1>>>" in body["prompt"] and "<<<element_2>>>" in body["prompt"]
        assert kling.elements_created == 2
        # a restarted bot reuses the elements it stored, creating none
        async with running_bot(tmp_path, slack, **env) as bot:
            await bot.command("{box} on a table, {maya} smiles --model kling-v3 --seconds 5")
            await bot.wait_job("delivered", job_index=1)
        assert kling.elements_created == 2
        assert {e["element_id"] for e in kling.creates[-1][1]["element_list"]} == {
            e["element_id"] for e in body["element_list"]
        }


async def test_aimlapi_gets_inline_elements(tmp_path, slack):
    async with FakeAimlApi() as aiml, MediaServer() as media:
        env = {"AIMLAPI_API_KEY": aiml.api_key, "AIMLAPI_BASE_URL": aiml.base_url}
        async with running_bot(tmp_path, slack, **env) as bot:
            await ask(bot, slack, f"subject add maya {media.url('/img/800x1000.png')} -- red coat")
            await ask(bot, slack, f"subject add box {media.url('/img/900x600.png')}")
            await bot.command("{maya} holds up {box} --model kling-o1 --seconds 5")
            job = await bot.wait_job(("delivered", "failed"))
            assert job["state"] == "delivered", job["error"]
        body = aiml.created()[-1]
        assert len(body["elements"]) == 2
        assert body["elements"][0]["frontal_image_url"].startswith("data:image/png;base64,")
        assert "{maya}" not in body["prompt"] and "maya" in body["prompt"]


async def test_model_without_subjects_gets_description_and_card_note(bot, slack):
    async with MediaServer() as media:
        await ask(bot, slack, f"subject add maya {media.url('/img/800x800.png')} -- red coat, short hair")
    await bot.command("{Maya} walks in the rain --model kling-2.6-pro --seconds 5")
    job = await bot.wait_job("delivered")
    assert job["request"]["prompt"] == "maya (red coat, short hair) walks in the rain"
    await bot.settle()
    assert "likeness is not guaranteed" in str(slack.messages[C1][0]["blocks"])


def test_fold_and_apply_are_pure():
    subjects = [{"id": 1, "name": "maya", "description": "red coat", "images": [], "element_ids": {}}]
    assert fold_descriptions("{MAYA} runs", subjects) == "maya (red coat) runs"
    assert fold_descriptions("a dog runs", subjects) == "a dog runs With maya (red coat)."
    native = apply_subjects({"prompt": "{Maya} runs"}, subjects, get_model("kling-o1"))
    assert native["prompt"] == "{maya} runs" and native["subjects"] == subjects
    folded = apply_subjects({"prompt": "{maya} runs"}, subjects, get_model("sora-2"))
    assert "subjects" not in folded and "likeness is not guaranteed" in folded["notes"][0]


async def test_app_home_shows_recent_jobs_and_channel_subjects(bot, slack):
    async with MediaServer() as media:
        await ask(bot, slack, f"subject add maya {media.url('/img/800x800.png')} -- red coat")
    await bot.command("{maya} waves --model preview --seconds 2", user_id="U0ALICE")
    await bot.wait_job("delivered")
    await bot.settle()
    event = {"type": "app_home_opened", "user": "U0ALICE", "channel": "D0HOME", "tab": "home"}
    await bot.event(event)
    await slack.wait_for(lambda: "U0ALICE" in slack.views, timeout=20)
    text = str(slack.views["U0ALICE"]["blocks"])
    assert "J1" in text and "delivered" in text and "`preview`" in text
    assert "{maya}" in text and "red coat" in text and "1 image" in text
    # the thread link is the one Slack gives (chat.getPermalink), not one built by hand
    assert slack.count("chat.getPermalink") == 1 and f"<{slack.base_url}/archives/{C1}/p" in text


async def _delivered_preview_clip(bot, slack, prompt: str) -> tuple[dict, str]:
    job = await bot.new_job(f"{prompt} --model preview --seconds 2")
    await bot.settle()
    shot = await bot.dailies.store.run(lambda db: db["shots"].get(job["shot_id"]))
    return job, shot["card_ts"]


async def _reply(bot, slack, card_ts: str, text: str, ts: str, files=None) -> None:
    event = message_event(text, channel=C1, user="U0ALICE", ts=ts, thread_ts=card_ts, files=files)
    status, _ = await bot.event(event)
    assert status == 200


async def test_save_as_subject_takes_the_latest_versions_first_frame(bot, slack):
    job, card_ts = await _delivered_preview_clip(bot, slack, "a lighthouse keeper   in a yellow raincoat")
    (take,) = await bot.takes(job["id"])
    if take.get("media_path"):  # our copy is gone: the clip is fetched back from Slack
        Path(take["media_path"]).unlink(missing_ok=True)
    before = slack.count("files.info")
    await _reply(bot, slack, card_ts, "save as subject keeper", "1700000100.000100")

    def saved() -> list[dict]:
        return [m for m in slack.thread(C1, card_ts) if "first frame" in m.get("text", "")]

    await slack.wait_for(saved, timeout=20)
    confirm = saved()
    # the harness draws previews at half of 1280x720: the frame is the delivered clip's own
    assert "`{keeper}`" in confirm[0]["text"] and "640×360" in confirm[0]["text"]
    assert slack.count("files.info") > before
    shown = await ask(bot, slack, "subject show keeper")
    assert "a lighthouse keeper in a yellow raincoat" in shown  # the version's prompt, trimmed
    assert "640×360 image/png" in shown and "from v1" in shown
    await _reply(bot, slack, card_ts, "save as subject keeper", "1700000100.000200")
    await slack.wait_for(lambda: slack.ephemerals, timeout=20)
    assert "already has a subject called `keeper`" in slack.ephemerals[-1]["text"]
    await bot.command("{keeper} waves --model preview --seconds 2")
    second = await bot.wait_job("delivered", job_index=1)
    assert "lighthouse keeper" in second["request"]["prompt"]


async def test_save_as_subject_from_an_image_attached_to_the_reply(bot, slack):
    _job, card_ts = await _delivered_preview_clip(bot, slack, "a product shot of a blue cereal box")
    file = slack.add_file("F0BOX", png_bytes(640, 800), name="box.png")
    await _reply(bot, slack, card_ts, "save as subject box", "1700000200.000100", files=[file])
    await slack.wait_for(
        lambda: [m for m in slack.thread(C1, card_ts) if "Added `{box}`" in m.get("text", "")], timeout=20
    )
    shown = await ask(bot, slack, "subject show box")
    assert "640×800" in shown and "from Slack file box.png" in shown and "blue cereal box" in shown
    tiny = slack.add_file("F0TINY", png_bytes(40, 40), name="tiny.png")
    await _reply(bot, slack, card_ts, "save as subject tiny", "1700000200.000200", files=[tiny])
    await slack.wait_for(lambda: slack.ephemerals, timeout=20)
    assert "was not added" in slack.ephemerals[-1]["text"] and "300 px" in slack.ephemerals[-1]["text"]
    assert "no subject called {tiny}" in await ask(bot, slack, "subject show tiny")


async def test_subject_show_says_where_each_image_came_from(bot, slack):
    async with MediaServer() as media:
        url = media.url("/img/800x1000.png")
        await ask(bot, slack, f"subject add maya {url} -- red coat")
        shown = await ask(bot, slack, "subject show maya")
    assert f"from {url}" in shown and "red coat" in shown and "800×1000" in shown
    assert "can't show the stored copies" in shown


async def test_reference_limits_are_checked_before_any_provider_call(tmp_path, slack):
    async with FakeKling() as kling, MediaServer() as media:
        env = {"KLING_API_KEY": kling.api_key, "KLING_BASE_URL": kling.url}
        async with running_bot(tmp_path, slack, **env) as bot:
            for n, name in enumerate(("a", "b", "c", "d", "e")):
                urls = " ".join(media.url(f"/img/{600 + n * 10 + i}x600.png") for i in range(4))
                assert "Added" in await ask(bot, slack, f"subject add {name} {urls}")
            seven = await ask(bot, slack, "{a} meets {b} --model kling-o1 --seconds 5")
            assert "at most 7 reference images" in seven and "{a}, {b}" in seven
            assert kling.creates == [] and kling.elements_created == 0 and await bot.jobs() == []
            # a thread edit of a delivered clip gets the same checks
            await bot.command("a quiet street at dawn --model kling-o1 --seconds 5")
            job = await bot.wait_job("delivered")
            await bot.settle()
            shot = await bot.dailies.store.run(lambda db: db["shots"].get(job["shot_id"]))
            creates = len(kling.creates)
            await _reply(bot, slack, shot["card_ts"], "add {a} {b} {c} {d} {e} walking", "1700000300.1")
            await slack.wait_for(lambda: slack.ephemerals, timeout=20)
            assert "up to 4 subjects" in slack.ephemerals[-1]["text"]
            image = slack.add_file("F0REF", png_bytes(700, 700), name="ref.png")
            await _reply(bot, slack, shot["card_ts"], "add {a} {b} {c} {d}", "1700000300.2", files=[image])
            await slack.wait_for(lambda: len(slack.ephemerals) >= 2, timeout=20)
            assert "at most 4 subjects and images together" in slack.ephemerals[-1]["text"]
            await _reply(bot, slack, shot["card_ts"], "{a} and {b} cross the street", "1700000300.3")
            await slack.wait_for(lambda: len(slack.ephemerals) >= 3, timeout=20)
            assert "at most 7 reference images" in slack.ephemerals[-1]["text"]
            assert len(kling.creates) == creates and kling.elements_created == 0
            assert len(await bot.jobs()) == 1


async def test_removing_a_subject_a_held_job_uses_does_not_break_it(tmp_path, slack):
    async with FakeKling(polls_to_finish=1) as kling, MediaServer() as media:
        env = {"KLING_API_KEY": kling.api_key, "KLING_BASE_URL": kling.url}
        async with running_bot(tmp_path, slack, **env) as bot:
            maya = f"{media.url('/img/800x1000.png')} {media.url('/img/810x1000.png')}"
            await ask(bot, slack, f"subject add maya {maya} -- red coat")
            leo = f"{media.url('/img/900x600.png')} {media.url('/img/910x600.png')}"
            await ask(bot, slack, f"subject add leo {leo} -- green hat")
            await ask(bot, slack, "settings job-limit 0.10")
            await bot.command("{maya} talks to {leo} --model kling-v3 --seconds 5")
            job = await bot.wait_job("awaiting_approval")
            await bot.settle()
            assert "Removed `{maya}`" in await ask(bot, slack, "subject remove maya")
            assert "Renamed `{leo}` to `{leon}`" in await ask(bot, slack, "subject rename leo leon")
            stored = list((bot.tmp / "media" / "subjects").glob("*.png"))
            assert len(stored) == 4  # maya's images stay while the held job needs them
            shot = await bot.dailies.store.run(lambda db: db["shots"].get(job["shot_id"]))
            react = reaction_event("white_check_mark", user="U0ALICE", channel=C1, ts=shot["card_ts"])
            await bot.event(react)
            done = await bot.wait_job(("delivered", "failed"))
            assert done["state"] == "delivered", done["error"]
        assert kling.elements_created == 2
        assert len(kling.creates[-1][1]["element_list"]) == 2
