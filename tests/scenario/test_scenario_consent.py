"""Issue 27: a person's likeness and voice are used only with consent on record. A talking avatar,
a lip-sync or a voice of a subject without it starts nothing and offers its requester alone a button
that records consent (audited: who and when) and then runs exactly the request they made."""

from __future__ import annotations

import json

import pytest

from storage import audit
from tests.fakes.kling import FakeKling
from tests.fakes.media_server import MediaServer
from tests.fakes.mp4 import write_mp4
from tests.fakes.slack_requests import TEAM_ID, message_shortcut_payload, view_submission_payload
from tests.harness import running_bot
from tests.scenario.test_scenario_subjects import ask
from tests.scenario.test_scenario_threads import first_shot, reply
from tests.scenario.test_slack_surfaces import delivered_clip, eventually, interact, opened_modal

C1 = "C0CHANNEL"
LINE = "Welcome back to the show, everyone."


def kling_env(kling: FakeKling) -> dict[str, str]:
    return {"KLING_API_KEY": kling.api_key, "KLING_BASE_URL": kling.url}


async def offer_of(bot, slack, text: str) -> tuple[dict, str]:
    """Send `/video text` (as U0ALICE); the ephemeral offer it answers with, and its button's value."""
    before = slack.count("response_url")
    status, _ = await bot.command(text, channel_id=C1)
    assert status == 200
    await slack.wait_for(lambda: slack.count("response_url") > before, timeout=20)
    answer = slack.calls_to("response_url")[-1].params
    buttons = [e for b in answer.get("blocks") or () if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["consent_render"], answer
    return answer, buttons[0]["value"]


async def press(bot, slack, value: str, user: str = "U0ALICE") -> str:
    """Press the offer's button as `user`; the ephemeral answer they get."""
    before = slack.count("response_url")
    status, _ = await bot.action(
        "consent_render", value, user_id=user, channel_id=C1, message_ts="1700000000.000900"
    )
    assert status == 200
    await slack.wait_for(lambda: slack.count("response_url") > before, timeout=20)
    return slack.calls_to("response_url")[-1].params["text"]


async def consent_rows(bot) -> list[dict]:
    return await bot.dailies.store.run(lambda db: db.query("SELECT * FROM subject_consents"))


async def consent_audit(bot) -> list[dict]:
    rows = await bot.dailies.store.run(audit.latest, TEAM_ID, C1, 50)
    return [r for r in reversed(rows) if r["action"].startswith("consent")]


async def test_an_avatar_without_consent_starts_nothing_until_its_requester_confirms(tmp_path, slack):
    async with FakeKling() as kling, MediaServer() as media:
        async with running_bot(tmp_path, slack, **kling_env(kling)) as bot:
            await ask(bot, slack, f"subject add hero {media.url('/img/800x1000.png')}")
            posts_before = slack.count("chat.postMessage")
            answer, value = await offer_of(bot, slack, f'avatar {{hero}} "{LINE}"')
            assert answer["response_type"] == "ephemeral"  # only the requester sees it
            assert "`{hero}` has no consent on record, so nothing was started" in answer["text"]
            (button,) = answer["blocks"][-1]["elements"]
            assert button["text"]["text"] == "I have hero's permission: record consent and render"
            assert await bot.jobs() == [] and await consent_rows(bot) == []
            assert kling.creates == [] and kling.tts_calls == []
            assert slack.count("chat.postMessage") == posts_before  # nothing said in the channel

            # someone else's press (a forged or forwarded button) records nothing and starts nothing
            assert "not yours" in await press(bot, slack, value, user="U0BOB")
            assert "not yours" in await press(bot, slack, "forged-token", user="U0ALICE")
            assert await bot.jobs() == [] and await consent_rows(bot) == []

            answer = await press(bot, slack, value)
            assert answer.startswith("Recorded your consent for `{hero}`.")
            job = await bot.wait_job(("delivered", "failed"))
            assert job["state"] == "delivered", job["error"]
            assert (job["kind"], job["user_id"], job["request"]["script"]) == ("avatar", "U0ALICE", LINE)
            (consent,) = await consent_rows(bot)
            assert consent["given_by"] == "U0ALICE" and consent["given_at"]
            (entry,) = await consent_audit(bot)
            assert (entry["user_id"], entry["action"], entry["detail"]) == (
                "U0ALICE",
                "consent",
                "{hero} via button",
            )
            assert entry["at"] >= consent["given_at"]  # who and when, in the audit too

            assert "already used" in await press(bot, slack, value)  # once only
            assert len(await bot.jobs()) == 1
            shown = await ask(bot, slack, "subject show hero")
            assert f"consent confirmed by <@U0ALICE> on {consent['given_at'][:10]}" in shown
        assert [c["text"] for c in kling.tts_calls] == [LINE]
        assert [route for route, _ in kling.creates] == ["avatar/image2video"]


async def test_consent_by_command_then_the_avatar_renders_at_once(tmp_path, slack):
    async with FakeKling() as kling, MediaServer() as media:
        async with running_bot(tmp_path, slack, **kling_env(kling)) as bot:
            await ask(bot, slack, f"subject add hero {media.url('/img/800x1000.png')}")
            assert "no consent on record" in await ask(bot, slack, "subject list")
            said = await ask(bot, slack, 'subject consent hero "signed release"')
            assert (
                said.startswith("Recorded: <@U0ALICE> confirmed having permission")
                and "(signed release)" in said
            )
            assert "consent confirmed by <@U0ALICE>" in await ask(bot, slack, "subject list")
            assert ": signed release" in await ask(bot, slack, "subject show hero")
            await bot.command(f'avatar {{hero}} "{LINE}"', channel_id=C1)
            job = await bot.wait_job(("delivered", "failed"))
            assert job["state"] == "delivered", job["error"]
            assert not any(c.params.get("blocks") for c in slack.calls_to("response_url"))  # no offer
            (entry,) = await consent_audit(bot)
            assert entry["detail"] == "{hero} via command: signed release"
        assert len(kling.creates) == 1


async def test_the_offer_goes_through_the_job_limit_and_a_withdrawal_cancels_the_job(tmp_path, slack):
    async with FakeKling() as kling, MediaServer() as media:
        async with running_bot(tmp_path, slack, **kling_env(kling)) as bot:
            await ask(bot, slack, f"subject add hero {media.url('/img/800x1000.png')}")
            await ask(bot, slack, "settings job-limit 0.01")
            _answer, value = await offer_of(bot, slack, f'avatar {{hero}} "{LINE}"')
            await press(bot, slack, value)
            job = await bot.wait_job("awaiting_approval")  # the usual gate: held, not rendered
            withdrawn = await ask(bot, slack, "subject consent hero --withdraw")
            assert (
                withdrawn.startswith("Withdrew the consent for `{hero}`")
                and f"Stopped J{job['id']}" in withdrawn
            )
            job = await bot.wait_job("cancelled")
            assert await consent_rows(bot) == []
            given, taken = await consent_audit(bot)
            assert (given["action"], taken["action"], taken["user_id"]) == (
                "consent",
                "consent withdrawn",
                "U0ALICE",
            )
            assert "nothing to withdraw" in await ask(bot, slack, "subject consent hero --withdraw")
            # later avatars ask again
            answer, _ = await offer_of(bot, slack, f'avatar {{hero}} "{LINE}"')
            assert "no consent on record" in answer["text"]
        assert kling.creates == [] and kling.tts_calls == []


async def test_a_voice_sample_waits_for_consent_too(tmp_path, slack):
    async with FakeKling() as kling, MediaServer() as media:
        async with running_bot(tmp_path, slack, **kling_env(kling)) as bot:
            await ask(bot, slack, f"subject add hero {media.url('/img/800x1000.png')}")
            answer, value = await offer_of(bot, slack, f"subject voice hero {media.url('/audio/6s.wav')}")
            (button,) = answer["blocks"][-1]["elements"]
            assert button["text"]["text"] == "I have hero's permission: record consent and keep the voice"
            assert "• voice:" not in await ask(bot, slack, "subject show hero")
            kept = await press(bot, slack, value)
            assert kept.startswith(
                "Recorded your consent for `{hero}`. `{hero}` now has a voice (6.0 s sample)"
            )
            assert "• voice: a 6.0 s sample" in await ask(bot, slack, "subject show hero")


@pytest.fixture
def clip(tmp_path):
    """A 3 s 720p clip with a face: what the Kling stand-in renders and lip-syncs."""
    return write_mp4(tmp_path / "presenter.mp4", seconds=3.0, width=1280, height=720)


async def test_a_lipsync_of_a_clip_that_shows_a_subject_waits_for_consent(tmp_path, slack, clip):
    async with FakeKling() as kling, MediaServer() as media:
        kling.result_mp4 = clip
        async with running_bot(tmp_path, slack, **kling_env(kling)) as bot:
            front, side = media.url("/img/800x1000.png"), media.url("/img/600x800.png")
            await ask(bot, slack, f"subject add hero {front} {side}")  # two views: a Kling element
            card_ts = await first_shot(bot, slack, "{hero} faces the camera --seconds 3 --model kling-v3")
            (video,) = await bot.jobs()
            hero_id = video["request"]["subjects"][0]["id"]
            await reply(bot, card_ts, 'lipsync "Welcome to the harbour, everyone."')
            await slack.wait_for(lambda: slack.count("chat.postEphemeral") >= 1, timeout=20)
            offer = slack.calls_to("chat.postEphemeral")[-1].params
            assert (offer["user"], offer["thread_ts"]) == ("U0ALICE", card_ts)  # the requester, in the thread
            assert "`{hero}` has no consent on record" in offer["text"]
            blocks = offer["blocks"] if isinstance(offer["blocks"], list) else json.loads(offer["blocks"])
            (button,) = blocks[-1]["elements"]
            assert len(await bot.jobs()) == 1 and kling.face_calls == []  # nothing started, nothing asked

            assert (await press(bot, slack, button["value"])).startswith(
                "Recorded your consent for `{hero}`."
            )
            lipsync = await bot.wait_job(("delivered", "failed"), job_index=1)
            assert lipsync["state"] == "delivered", lipsync["error"]
            assert lipsync["kind"] == "lipsync" and lipsync["request"]["likeness"] == [hero_id]

            await ask(bot, slack, "subject consent hero --withdraw")
            await reply(bot, card_ts, "v2: again")  # another take of the lip-sync: consent is gone
            await slack.wait_for(lambda: slack.count("chat.postEphemeral") >= 2, timeout=20)
            refused = slack.calls_to("chat.postEphemeral")[-1].params["text"]
            assert "`{hero}` has no consent on record any more, so nothing was started" in refused
            assert len(await bot.jobs()) == 2
        assert len([route for route, _ in kling.creates if route == "advanced-lip-sync"]) == 1


async def test_the_save_as_subject_form_records_consent_when_ticked(bot, slack):
    _job, card_ts, _clip = await delivered_clip(bot, slack, "a lighthouse keeper in a yellow raincoat")
    payload = message_shortcut_payload(
        "save_subject", slack.message(C1, card_ts), channel_id=C1, user_id="U0ALICE",
        response_url=slack.response_url(), trigger_id=slack.issue_trigger(),
    )  # fmt: skip
    await interact(bot, payload)
    modal = await opened_modal(slack)
    values = {"name": "keeper", "consent": ["given"]}
    assert await interact(bot, view_submission_payload(modal, values, user_id="U0ALICE")) == (200, "")
    (consent,) = await eventually(lambda: consent_rows(bot))
    assert consent["given_by"] == "U0ALICE"
    (entry,) = await consent_audit(bot)
    assert entry["detail"] == "{keeper} via form"
    assert "consent confirmed by <@U0ALICE>" in await ask(bot, slack, "subject show keeper")


async def test_withdrawing_consent_stops_an_avatar_that_is_rendering(tmp_path, slack):
    async with FakeKling() as kling, MediaServer() as media:
        kling.never_finish = True
        async with running_bot(tmp_path, slack, **kling_env(kling)) as bot:
            await ask(bot, slack, f"subject add hero {media.url('/img/800x1000.png')}")
            await ask(bot, slack, 'subject consent hero "signed release 2026-11"')
            await bot.command(f'avatar {{hero}} "{LINE}"', channel_id=C1)
            job = await bot.wait_job("rendering")
            assert len(kling.creates) == 1
            # Bob did not ask for the job, yet his withdrawal stops it: the likeness is no longer cleared
            said = await ask_as(bot, slack, "subject consent hero --withdraw", "U0BOB")
            assert f"Stopped J{job['id']}" in said
            job = await bot.wait_job("cancelled")
            takes = await bot.takes(job["id"])
            assert [t["state"] for t in takes] == ["cancelled"]
            await bot.settle()
            notes = [
                c.params["text"] for c in slack.calls_to("chat.postMessage") if c.params.get("thread_ts")
            ]
            assert (
                f":no_entry_sign: J{job['id']} was stopped (consent for {{hero}} withdrawn) by <@U0BOB>."
                in notes
            )
            (_given, taken) = await consent_audit(bot)
            assert (taken["action"], taken["user_id"]) == ("consent withdrawn", "U0BOB")


async def ask_as(bot, slack, text: str, user: str) -> str:
    """`/video text` as `user`; the ephemeral answer."""
    before = slack.count("response_url")
    status, _ = await bot.command(text, channel_id=C1, user_id=user)
    assert status == 200
    await slack.wait_for(lambda: slack.count("response_url") > before, timeout=20)
    return slack.calls_to("response_url")[-1].params["text"]
