"""Issue 24: a contact sheet claimed (or waiting to be tried again) when `dailies serve` is killed
with -9 is posted by the restarted process, exactly once."""

from __future__ import annotations

import asyncio

from tests.fakes.slack import ScriptedSlack, running
from tests.fakes.slack_requests import FORM, interactive_body, post_signed, view_submission_payload
from tests.faultbot import FaultBot
from tests.harness import running_bot
from tests.scenario.test_scenario_campaigns import (
    ALICE,
    board_ts,
    campaign_form,
    delivered,
    eventually,
    interact,
)

CHANNEL = "C0CHANNEL"


def _sheet_upload(params: dict) -> bool:
    return str(params.get("filename", "")).startswith("sheet-")


def sheet_uploads(slack: ScriptedSlack) -> list:
    return [c for c in slack.calls_to("files.getUploadURLExternal") if _sheet_upload(c.params)]


def sheets(slack: ScriptedSlack, thread_ts: str) -> list[dict]:
    return [
        m
        for m in slack.thread(CHANNEL, thread_ts)
        if any(f["name"].startswith("sheet-") for f in m.get("files", []))
    ]


async def _campaign_of_two(bot: FaultBot, slack: ScriptedSlack) -> None:
    status, _ = await bot.command("campaign", trigger_id=slack.issue_trigger())
    assert status == 200
    await slack.wait_for_count("views.open", 1)
    form = next(v for v in slack.modals.values() if v["callback_id"] == "campaign_form")
    values = {"title": "Restart", "model": "preview", "seconds": "1", "aspects": ["16:9"], "shots": "a\nb"}
    submitted = interactive_body(view_submission_payload(form, values, user_id="U0ALICE"))
    assert await post_signed(bot.url, "/slack/events", submitted, FORM) == (200, "")


def _claim(bot: FaultBot) -> dict:
    (row,) = bot.rows("SELECT sheet_key, sheet_claimed_by FROM campaigns")
    return row


async def _restarted_posts_one_sheet(bot: FaultBot, slack: ScriptedSlack) -> None:
    (board,) = bot.rows("SELECT card_ts FROM shots WHERE id = (SELECT board_shot_id FROM campaigns)")
    await bot.start()
    await slack.wait_for(lambda: len(sheets(slack, board["card_ts"])) == 1, timeout=20)
    await bot.wait(lambda: _claim(bot)["sheet_claimed_by"] is None, "the sheet recorded as posted")
    await asyncio.sleep(1.5)  # nothing more follows: no second sheet
    assert len(sheets(slack, board["card_ts"])) == 1
    restarted = (bot.tmp / f"serve-{bot.starts}.log").read_text(errors="replace")
    assert "was not posted" not in restarted and "Traceback" not in restarted


async def test_a_sheet_claimed_when_the_process_is_killed_is_posted_once_after_the_restart(tmp_path):
    async with running() as slack:
        slack.hold_call_where("files.getUploadURLExternal", _sheet_upload)  # claimed, then killed in it
        bot = FaultBot(tmp_path, slack)
        await bot.start()
        try:
            await _campaign_of_two(bot, slack)
            await slack.wait_for(lambda: slack.held_calls == 1, timeout=30)
            assert _claim(bot)["sheet_claimed_by"], "the dead process holds the claim"
            bot.kill()
            await _restarted_posts_one_sheet(bot, slack)
            # the restart looked in the thread before posting: the killed process might have posted it
            assert slack.count("conversations.replies") >= 1
        finally:
            bot.stop()


async def test_a_sheet_waiting_to_be_tried_again_when_the_process_is_killed_is_posted_once(tmp_path):
    async with running() as slack:
        # Slack refuses the first upload of the sheet: it is unclaimed, and waits for its retry
        slack.fail_calls_where(
            "files.getUploadURLExternal", _sheet_upload, body={"ok": False, "error": "internal_error"}
        )
        slack.hold_call_where("files.getUploadURLExternal", _sheet_upload)  # should the retry come first
        bot = FaultBot(tmp_path, slack)
        await bot.start()
        try:
            await _campaign_of_two(bot, slack)
            await slack.wait_for(lambda: len(sheet_uploads(slack)) == 1, timeout=30)
            bot.kill()  # while the retry waits its turn (or, at worst, held in its upload)
            slack.drop_holds()
            await _restarted_posts_one_sheet(bot, slack)
        finally:
            bot.stop()


async def test_a_claim_taken_over_from_a_process_killed_after_posting_finds_the_sheet_in_the_thread(
    tmp_path, slack
):
    async with running_bot(tmp_path, slack) as bot:
        view = await campaign_form(bot, slack)
        values = {"title": "Posted", "model": "preview", "seconds": "1", "aspects": ["16:9"], "shots": "a\nb"}
        await interact(bot, view_submission_payload(view, values, user_id=ALICE))
        await eventually(lambda: delivered(bot, 2))
        ts = await board_ts(bot)
        await slack.wait_for(lambda: len(sheets(slack, ts)) == 1)
        uploads = len(sheet_uploads(slack))

        async def recorded() -> bool:  # this process recorded it as posted (else it would undo the below)
            rows = await bot.dailies.store.run(lambda db: db.query("SELECT sheet_claimed_by FROM campaigns"))
            return rows[0]["sheet_claimed_by"] is None

        await eventually(recorded)
        # as if a process on this machine posted it and was killed before recording so
        host = bot.dailies.store.replica.split("/")[0]
        await bot.dailies.store.run(
            lambda db: db.execute(
                "UPDATE campaigns SET sheet_claimed_by = ?, sheet_claimed_at = ?, sheet_claim_until = ?",
                [f"{host}/{2**22 + 1}/gone", 0.0, 10.0**12],
            )
        )
        await bot.dailies.services.sheets.sweep()
        (row,) = await bot.dailies.store.run(lambda db: db.query("SELECT sheet_claimed_by FROM campaigns"))
        assert row["sheet_claimed_by"] is None  # recorded as posted
        assert slack.count("conversations.replies") >= 1 and len(sheet_uploads(slack)) == uploads
        assert len(sheets(slack, ts)) == 1


async def test_a_sheet_waiting_for_its_retry_is_dropped_when_dailies_stops_and_posted_by_the_next_start(
    tmp_path, slack
):
    slack.fail_calls_where(
        "files.getUploadURLExternal", _sheet_upload, body={"ok": False, "error": "internal_error"}
    )
    async with running_bot(tmp_path, slack) as bot:
        view = await campaign_form(bot, slack)
        values = {
            "title": "Stopped",
            "model": "preview",
            "seconds": "1",
            "aspects": ["16:9"],
            "shots": "a\nb",
        }
        await interact(bot, view_submission_payload(view, values, user_id=ALICE))
        await eventually(lambda: delivered(bot, 2))
        await slack.wait_for(lambda: len(sheet_uploads(slack)) == 1)
        ts = await board_ts(bot)
        slack.hold_call_where("files.getUploadURLExternal", _sheet_upload)  # the retry, if it came first
    waiting = [t for t in asyncio.all_tasks() if t.get_name().startswith("sheet-") and not t.done()]
    assert waiting == []  # the stop path cancelled the retry (and the sweep)
    slack.drop_holds()
    async with running_bot(tmp_path, slack) as bot:
        await slack.wait_for(lambda: len(sheets(slack, ts)) == 1)
        await asyncio.sleep(1.5)
        assert len(sheets(slack, ts)) == 1
