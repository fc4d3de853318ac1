"""Edit this clip and Save as subject: acked, and their modal opened on a clip (an ephemeral otherwise)."""

from __future__ import annotations

from bot.studio.forms import NOT_A_CLIP
from handlers.replies import SOMETHING_WRONG
from handlers.shortcuts import EDIT_CLIP, SAVE_SUBJECT, edit_this_clip, save_as_subject
from tests.fakes.slack_requests import message_shortcut_payload

from .conftest import RESPONSE_URL, Broken, FakeStudio, bolt_request, run, run_failing

CARD = {"type": "message", "ts": "1800000000.000100", "user": "UBOT", "bot_id": "BBOT", "text": "a fox", "blocks": []}  # fmt: skip


def used(callback_id: str) -> dict:
    return message_shortcut_payload(callback_id, CARD, channel_id="C0CHANNEL", user_id="U0ALICE", response_url=RESPONSE_URL, trigger_id="1.2.abc")  # fmt: skip


async def test_on_a_clip_the_modal_opens():
    for listener, callback_id, form in (
        (edit_this_clip, EDIT_CLIP, "edit_clip_form"),
        (save_as_subject, SAVE_SUBJECT, "subject_form"),
    ):
        studio = FakeStudio()
        studio.answer("forms.clip", "the clip")
        request = bolt_request(used(callback_id), studio)
        await run(listener, request)
        request.context.ack.assert_awaited_once_with()
        assert studio.calls == [("forms.clip", ("T0DAILIES", "C0CHANNEL", CARD))]
        request.context.client.views_open.assert_awaited_once_with(
            trigger_id="1.2.abc", view={"type": "modal", "callback_id": form, "for": "the clip"}
        )


async def test_on_another_message_the_answer_is_an_ephemeral():
    request = bolt_request(used(EDIT_CLIP), FakeStudio())
    await run(edit_this_clip, request)
    request.context.respond.assert_awaited_once_with(
        text=NOT_A_CLIP, response_type="ephemeral", replace_original=False
    )
    request.context.client.views_open.assert_not_awaited()


async def test_a_failed_shortcut_is_the_one_ephemeral():
    studio = FakeStudio()
    studio.answer("forms.clip", Broken("disk on fire"))
    request = bolt_request(used(SAVE_SUBJECT), studio)
    await run_failing(save_as_subject, request)
    request.context.respond.assert_awaited_once_with(
        text=SOMETHING_WRONG, response_type="ephemeral", replace_original=False
    )
