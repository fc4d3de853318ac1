"""Issue 24: a contact sheet Slack does not take is tried again until it does, and lands once."""

from __future__ import annotations

import asyncio

from tests.fakes.slack_requests import view_submission_payload
from tests.scenario.test_scenario_campaigns import (
    ALICE,
    CHANNEL,
    board_ts,
    campaign_form,
    delivered,
    eventually,
    interact,
)


def _sheet_upload(params: dict) -> bool:
    return str(params.get("filename", "")).startswith("sheet-")


async def test_a_sheet_whose_upload_fails_is_posted_once_slack_answers(bot, slack):
    # Slack refuses the sheet's upload twice and fails it once with a 503 (the clips go through)
    slack.fail_calls_where(
        "files.getUploadURLExternal", _sheet_upload, body={"ok": False, "error": "internal_error"}
    )
    slack.fail_calls_where("files.getUploadURLExternal", _sheet_upload, status=503)
    slack.fail_calls_where(
        "files.getUploadURLExternal", _sheet_upload, body={"ok": False, "error": "internal_error"}
    )
    view = await campaign_form(bot, slack)
    values = {"title": "Retry", "model": "preview", "seconds": "1", "aspects": ["16:9"], "shots": "a\nb"}
    await interact(bot, view_submission_payload(view, values, user_id=ALICE))
    await eventually(lambda: delivered(bot, 2))
    ts = await board_ts(bot)

    def sheets() -> list[dict]:
        return [
            m
            for m in slack.thread(CHANNEL, ts)
            if any(f["name"].startswith("sheet-") for f in m.get("files", []))
        ]

    await eventually(lambda: asyncio.sleep(0, sheets()), timeout=40)
    asked = [c for c in slack.calls_to("files.getUploadURLExternal") if _sheet_upload(c.params)]
    assert len(asked) == 4  # three failures, then the one that landed
    await asyncio.sleep(1.5)  # nothing left to try again: no second sheet
    assert len(sheets()) == 1
    assert len([c for c in slack.calls_to("files.getUploadURLExternal") if _sheet_upload(c.params)]) == 4
