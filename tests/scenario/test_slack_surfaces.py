"""Issue 16, the way Slack drives it: the New video modal (from `/video` alone and from App Home),
the clip shortcuts, the Workflow Builder step, App Home's review buttons, and a colleague's ✅."""

from __future__ import annotations

import asyncio
import json

from bot.request import parse_command
from bot.studio.forms import NOT_A_CLIP
from tests.fakes.kling import FakeKling
from tests.fakes.slack_requests import (
    FORM,
    interactive_body,
    message_shortcut_payload,
    post_signed,
    reaction_event,
    view_action_payload,
    view_submission_payload,
)
from tests.harness import running_bot

CHANNEL = "C0CHANNEL"
ALICE, BOSS, EVE = "U0ALICE", "U0BOSS", "U0EVE"
OUTPUTS = ("clip_permalink", "job_id", "cost")


def kling_env(fake: FakeKling) -> dict[str, str]:
    return {"KLING_BASE_URL": fake.url, "KLING_API_KEY": fake.api_key}


async def interact(bot, payload: dict) -> tuple[int, str]:
    return await post_signed(bot.url, "/slack/events", interactive_body(payload), FORM)


async def opened_modal(slack, n: int = 1) -> dict:
    """The n-th modal the bot opened, as Slack holds it (with its id and hash)."""
    await slack.wait_for_count("views.open", n)
    call = slack.calls_to("views.open")[n - 1]
    return next(v for v in slack.modals.values() if v["callback_id"] == call.params["view"]["callback_id"])


async def eventually(check, timeout: float = 20.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("condition never held")


async def delivered_clip(bot, slack, prompt: str = "a lighthouse at dusk") -> tuple[dict, str, dict]:
    """A delivered preview job: (job, its card's ts, the clip's message in the thread)."""
    job = await bot.new_job(f"{prompt} --model preview --seconds 2")
    await bot.settle()
    shot = await bot.dailies.store.run(lambda db: db["shots"].get(job["shot_id"]))
    clip = next(m for m in slack.thread(CHANNEL, shot["card_ts"]) if m.get("files"))
    return job, shot["card_ts"], clip


# ---- the New video modal ------------------------------------------------------------------------


async def test_video_alone_opens_the_form_whose_submission_makes_the_flags_job(tmp_path, slack):
    async with FakeKling(polls_to_finish=1) as fake, running_bot(tmp_path, slack, **kling_env(fake)) as bot:
        status, body = await bot.command("")
        assert (status, body) == (200, "")
        view = await opened_modal(slack)
        sent = slack.calls_to("views.open")[0].params
        assert sent["trigger_id"] and json.loads(view["private_metadata"]) == {"channel": CHANNEL}
        blocks = {b.get("block_id") for b in view["blocks"]}
        assert {"prompt", "model", "seconds", "aspect", "resolution", "takes", "image_url", "audio"} <= blocks
        models = next(b for b in view["blocks"] if b.get("block_id") == "model")["element"]["options"]
        assert "kling-v3" in {o["value"] for o in models} and all("description" in o for o in models)
        values = {"prompt": "a red fox trotting through fresh snow", "model": "kling-v3", "seconds": "5",
                  "aspect": "9:16", "audio": "off"}  # fmt: skip
        payload = view_submission_payload(view, values, user_id=ALICE)
        assert await interact(bot, payload) == (200, "")
        job = await bot.wait_job("delivered")
        await bot.settle()
        assert len(fake.creates) == 1 and slack.count("files.completeUploadExternal") == 1
        typed = parse_command(
            "a red fox trotting through fresh snow --model kling-v3 --seconds 5 --aspect 9:16 --no-audio"
        )
        assert (job["model"], job["request"]["seconds"], job["request"]["aspect"]) == ("kling-v3", 5, "9:16")
        assert job["request"]["prompt"] == typed.prompt and job["request"]["audio"] is False
        assert job["user_id"] == ALICE and job["channel_id"] == CHANNEL
        assert slack.message(
            CHANNEL, (await bot.dailies.store.run(lambda db: db["shots"].get(job["shot_id"])))["card_ts"]
        )
        # the same view submitted again (a double click, Slack's retry) makes no second job
        assert await interact(bot, payload) == (200, "")
        await asyncio.sleep(0.3)
        assert len(await bot.jobs()) == 1 and len(fake.creates) == 1


async def test_invalid_values_come_back_on_their_fields_and_nothing_is_made(bot, slack):
    await bot.command("")
    view = await opened_modal(slack)
    payload = view_submission_payload(
        view, {"prompt": "a fox", "model": "sora-2", "seconds": "5"}, user_id=ALICE
    )
    status, body = await interact(bot, payload)
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"seconds"} and "4, 8" in answer["errors"]["seconds"]
    multi = view_submission_payload(
        view, {"prompt": "3s: a harbour // 2s: a gull", "model": "sora-2"}, user_id=ALICE
    )
    assert set(json.loads((await interact(bot, multi))[1])["errors"]) == {"model"}
    assert await bot.jobs() == []


async def test_app_homes_new_video_picks_a_channel_then_makes_the_job_there(bot, slack):
    await bot.event({"type": "app_home_opened", "user": ALICE, "channel": "D0HOME", "tab": "home"})
    await slack.wait_for(lambda: ALICE in slack.views)
    home = slack.views[ALICE]
    new = {
        "type": "button",
        "action_id": "home_new_video",
        "value": "new",
        "text": {"type": "plain_text", "text": "New video"},
    }
    await interact(
        bot, view_action_payload(home, "home-new", new, user_id=ALICE, trigger_id=slack.issue_trigger())
    )
    modal = await opened_modal(slack)
    assert modal["blocks"][0]["block_id"] == "channel" and json.loads(modal["private_metadata"]) == {}
    picked = {
        "type": "conversations_select",
        "action_id": "video_form_channel",
        "selected_conversation": "C0OTHER",
    }
    await interact(
        bot, view_action_payload(modal, "channel", picked, user_id=ALICE, values={"channel": "C0OTHER"})
    )
    await slack.wait_for_count("views.update", 1)
    modal = slack.modals[modal["id"]]
    assert modal["blocks"][0]["element"]["initial_conversation"] == "C0OTHER"
    values = {"channel": "C0OTHER", "prompt": "a paper boat", "model": "preview", "seconds": "2"}
    assert await interact(bot, view_submission_payload(modal, values, user_id=ALICE)) == (200, "")
    job = await bot.wait_job("delivered")
    assert job["channel_id"] == "C0OTHER" and job["model"] == "preview"


# ---- shortcuts on a clip's message --------------------------------------------------------------


async def test_edit_this_clip_makes_the_edit_a_thread_reply_makes(bot, slack):
    job, card_ts, clip = await delivered_clip(bot, slack)
    payload = message_shortcut_payload(
        "edit_clip", clip, channel_id=CHANNEL, user_id=EVE, response_url=slack.response_url(),
        trigger_id=slack.issue_trigger(),
    )  # fmt: skip
    assert (await interact(bot, payload))[0] == 200
    modal = await opened_modal(slack)
    assert json.loads(modal["private_metadata"]) == {"channel": CHANNEL, "shot": job["shot_id"], "version": 1}
    bad = view_submission_payload(
        modal, {"instruction": "warmer", "takes": "4", "seconds": "99"}, user_id=EVE
    )
    assert "seconds" in json.loads((await interact(bot, bad))[1])["errors"]
    good = view_submission_payload(modal, {"instruction": "warmer light, slower camera"}, user_id=EVE)
    assert await interact(bot, good) == (200, "")
    edit = await bot.wait_job(("queued", "rendering", "uploading", "delivered", "failed"), job_index=1)
    assert edit["kind"] == "edit" and edit["shot_id"] == job["shot_id"] and edit["user_id"] == EVE
    assert edit["request"]["instruction"] == "warmer light, slower camera"
    assert edit["request"]["parent_version"] == 1


async def test_save_as_subject_on_the_card_saves_the_first_frame_with_its_description(bot, slack):
    job, card_ts, _clip = await delivered_clip(bot, slack, "a lighthouse keeper in a yellow raincoat")
    card = slack.message(CHANNEL, card_ts)
    payload = message_shortcut_payload(
        "save_subject", card, channel_id=CHANNEL, user_id=ALICE, response_url=slack.response_url(),
        trigger_id=slack.issue_trigger(),
    )  # fmt: skip
    await interact(bot, payload)
    modal = await opened_modal(slack)
    described = next(b for b in modal["blocks"] if b.get("block_id") == "description")
    assert described["element"]["initial_value"] == "a lighthouse keeper in a yellow raincoat"
    bad = view_submission_payload(modal, {"name": "two words"}, user_id=ALICE)
    assert set(json.loads((await interact(bot, bad))[1])["errors"]) == {"name"}
    values = {"name": "keeper", "description": "our keeper, yellow coat"}
    assert await interact(bot, view_submission_payload(modal, values, user_id=ALICE)) == (200, "")
    subject = await eventually(
        lambda: bot.dailies.store.run(lambda db: db.one("SELECT * FROM subjects WHERE name_key = 'keeper'"))
    )
    assert subject["description"] == "our keeper, yellow coat" and subject["channel_id"] == CHANNEL


async def test_a_shortcut_on_another_message_says_what_it_works_on(bot, slack):
    message = slack.add_message(CHANNEL, "lunch?", user=EVE)
    url = slack.response_url()
    payload = message_shortcut_payload(
        "edit_clip",
        message,
        channel_id=CHANNEL,
        user_id=EVE,
        response_url=url,
        trigger_id=slack.issue_trigger(),
    )
    assert (await interact(bot, payload))[0] == 200
    await slack.wait_for_count("response_url", 1)
    assert slack.calls_to("response_url")[0].params["text"] == NOT_A_CLIP
    assert slack.count("views.open") == 0


# ---- the Workflow Builder step -----------------------------------------------------------------


async def test_the_step_makes_a_normal_job_and_completes_with_the_clip(bot, slack):
    inputs = {"channel": CHANNEL, "prompt": "a kite over the dunes", "model": "preview", "seconds": 2}
    event = slack.start_function("render_video", inputs, outputs=OUTPUTS)
    status, _ = await bot.event(event)
    assert status == 200
    execution = slack.executions[event["function_execution_id"]]
    await slack.wait_for(lambda: execution.state != "running", timeout=20)
    job = (await bot.jobs())[0]
    assert execution.state == "completed", execution.result
    outputs = execution.result["outputs"]
    assert outputs["job_id"] == f"J{job['id']}" and outputs["cost"] == 0.0
    assert f"/files/UBOT/{(await bot.takes(job['id']))[0]['slack_file_id']}/" in outputs["clip_permalink"]
    completes = slack.calls_to("functions.completeSuccess")
    assert len(completes) == 1 and completes[0].auth == "Bearer xoxb-test-token"
    await bot.settle()
    shot = await bot.dailies.store.run(lambda db: db["shots"].get(job["shot_id"]))
    assert slack.message(CHANNEL, shot["card_ts"])  # a normal card in that channel
    # Slack's retry of the event starts nothing more
    await bot.event(event, event_id="EvAGAIN")
    await asyncio.sleep(0.3)
    assert len(await bot.jobs()) == 1


async def test_a_delivered_clip_without_a_link_ends_the_step_on_the_error_path(bot, slack):
    # clip_permalink is a required output: Slack refuses it empty, so it is never sent empty
    info = slack._api["files.info"]

    def no_permalink(params: dict) -> dict:
        answer = info(params)
        if answer.get("file"):
            answer = {**answer, "file": {k: v for k, v in answer["file"].items() if k != "permalink"}}
        return answer

    slack._api["files.info"] = no_permalink
    slack._api["chat.getPermalink"] = lambda params: {"ok": False, "error": "message_not_found"}
    inputs = {"channel": CHANNEL, "prompt": "a kite over the dunes", "model": "preview", "seconds": 2}
    event = slack.start_function("render_video", inputs, outputs=OUTPUTS)
    await bot.event(event)
    execution = slack.executions[event["function_execution_id"]]
    await slack.wait_for(lambda: execution.state != "running", timeout=20)
    job = (await bot.jobs())[0]
    assert job["state"] == "delivered" and execution.state == "failed"
    assert execution.result["error"].startswith(f"J{job['id']} was delivered, but Slack gave no link")
    assert slack.count("functions.completeSuccess") == 0
    assert slack.count("chat.getPermalink") == 3  # asked again before giving up


async def test_inputs_that_cannot_make_a_job_fail_the_step_at_once(bot, slack):
    event = slack.start_function(
        "render_video", {"channel": CHANNEL, "prompt": "a kite", "model": "sora-2", "seconds": 5}
    )
    await bot.event(event)
    execution = slack.executions[event["function_execution_id"]]
    await slack.wait_for(lambda: execution.state == "failed")
    assert "4, 8" in execution.result["error"] and await bot.jobs() == []
    assert slack.calls_to("functions.completeError")[0].auth == f"Bearer {event['bot_access_token']}"


async def test_a_job_that_fails_fails_the_step_with_its_reason(tmp_path, slack):
    async with FakeKling(polls_to_finish=1) as fake, running_bot(tmp_path, slack, **kling_env(fake)) as bot:
        fake.refuse_next_task("Failure to pass the risk control system")
        event = slack.start_function(
            "render_video", {"channel": CHANNEL, "prompt": "a fox", "model": "kling-v3"}
        )
        await bot.event(event)
        execution = slack.executions[event["function_execution_id"]]
        await slack.wait_for(lambda: execution.state == "failed", timeout=20)
        assert (
            execution.result["error"].startswith("J1 failed:") and "risk control" in execution.result["error"]
        )


async def test_the_step_survives_a_restart_between_start_and_completion(tmp_path, slack):
    async with FakeKling() as fake:
        fake.never_finish = True
        event = slack.start_function(
            "render_video", {"channel": CHANNEL, "prompt": "a fox", "model": "kling-v3"}, OUTPUTS
        )
        async with running_bot(tmp_path, slack, **kling_env(fake)) as bot:
            await bot.event(event)
            await bot.wait_job("rendering")
        execution = slack.executions[event["function_execution_id"]]
        assert execution.state == "running"
        async with running_bot(tmp_path, slack, **kling_env(fake)) as bot:
            fake.never_finish = False
            for task_id in list(fake.tasks):
                fake.complete(task_id)
            await slack.wait_for(lambda: execution.state != "running", timeout=30)
            assert execution.state == "completed" and execution.result["outputs"]["job_id"] == "J1"
            assert len(fake.creates) == 1


# ---- review: App Home's buttons, a colleague's ✅ -----------------------------------------------


async def test_home_shows_what_waits_for_an_approver_and_its_approve_button_approves(bot, slack):
    await bot.command(f"settings approvers <@{BOSS}>")
    job, card_ts, _clip = await delivered_clip(bot, slack)
    await bot.event({"type": "app_home_opened", "user": BOSS, "channel": "D0BOSS", "tab": "home"})
    await slack.wait_for(lambda: BOSS in slack.views)
    home = slack.views[BOSS]
    assert "Waiting for your review" in str(home["blocks"])
    actions = next(b for b in home["blocks"] if str(b.get("block_id", "")).startswith("review-"))
    approve = next(e for e in actions["elements"] if e["action_id"] == "home_approve")
    before = slack.count("views.publish")
    await interact(bot, view_action_payload(home, actions["block_id"], approve, user_id=BOSS))
    await slack.wait_for(lambda: slack.count("views.publish") > before)
    take = (await bot.takes(job["id"]))[0]
    assert take["approved_at"]
    assert "Approved v1." in str(slack.views[BOSS]["blocks"])
    assert "Waiting for your review" not in str(slack.views[BOSS]["blocks"])


async def test_a_colleagues_check_counts_without_approvers_and_not_with_them(bot, slack):
    job, card_ts, clip = await delivered_clip(bot, slack)
    await bot.event(reaction_event("white_check_mark", user=EVE, channel=CHANNEL, ts=clip["ts"]))
    take = await eventually(lambda: _approved_take(bot, job["id"]))
    assert take["approved_at"]
    await bot.command(f"settings approvers <@{BOSS}>")
    job2, _, clip2 = await delivered_clip(bot, slack, "a second lighthouse")
    await bot.event(reaction_event("white_check_mark", user=EVE, channel=CHANNEL, ts=clip2["ts"]))
    await asyncio.sleep(0.5)
    assert not (await bot.takes(job2["id"]))[0]["approved_at"]
    await bot.event(reaction_event("white_check_mark", user=BOSS, channel=CHANNEL, ts=clip2["ts"]))
    assert (await eventually(lambda: _approved_take(bot, job2["id"])))["approved_at"]


async def test_without_approvers_a_colleagues_check_starts_a_job_held_by_the_gate(tmp_path, slack):
    async with FakeKling(polls_to_finish=1) as fake, running_bot(tmp_path, slack, **kling_env(fake)) as bot:
        await bot.command("settings job-limit 0.10")
        await bot.command("a fox in snow --seconds 5")
        job = await bot.wait_job("awaiting_approval")
        await bot.settle()
        shot = await bot.dailies.store.run(lambda db: db["shots"].get(job["shot_id"]))
        await bot.event(reaction_event("white_check_mark", user=EVE, channel=CHANNEL, ts=shot["card_ts"]))
        await bot.wait_job("delivered")
        assert len(fake.creates) == 1


async def _approved_take(bot, job_id: int) -> dict | None:
    take = (await bot.takes(job_id))[0]
    return take if take["approved_at"] else None
