"""Modals: the New video form opens and follows its channel select; a submission is checked (errors
on its fields), closed, and handed to the studio once; its failures are told on the form's terms."""

from __future__ import annotations

from bot.cards import forms
from bot.studio.forms import Checked
from bot.studio.origin import Origin
from handlers.replies import SOMETHING_WRONG
from handlers.views import (
    channel_picked,
    edit_submitted,
    new_video_button,
    subject_submitted,
    video_submitted,
)
from tests.fakes.slack_requests import view_action_payload, view_submission_payload

from .conftest import Broken, FakeStudio, bolt_request, run

FIELD = {"type": "input", "block_id": "prompt", "label": {"type": "plain_text", "text": "Prompt"}, "element": {"type": "plain_text_input", "action_id": "value"}}  # fmt: skip
CHECKED = Checked(Origin("C0CHANNEL", "U0ALICE", "T0DAILIES", source_key="view:V0FORM"), ("maya", ""))


def submitted(callback_id: str = forms.VIDEO_FORM) -> dict:
    view = {
        "id": "V0FORM",
        "type": "modal",
        "callback_id": callback_id,
        "blocks": [FIELD],
        "private_metadata": "",
    }
    return view_submission_payload(view, {}, user_id="U0ALICE")


async def test_a_submission_that_passes_closes_and_is_handed_over_once():
    for listener, callback_id, check, start in (
        (video_submitted, forms.VIDEO_FORM, "forms.check_video", "forms.start_video"),
        (edit_submitted, forms.EDIT_FORM, "forms.check_edit", "forms.start_edit"),
        (subject_submitted, forms.SUBJECT_FORM, "forms.check_subject", "forms.save_subject"),
    ):
        studio = FakeStudio()
        studio.forms.answer(check[len("forms.") :], CHECKED)
        payload = submitted(callback_id)
        request = bolt_request(payload, studio)
        await run(listener, request)
        await run(listener, bolt_request(payload, studio))  # Slack's retry of the same view
        request.context.ack.assert_awaited_once_with()
        assert studio.handed() == [check, "first_time", start, check, "first_time"]
        assert studio.calls[0][1] == (callback_id, "U0ALICE", "T0DAILIES")


async def test_field_errors_go_back_in_the_ack():
    studio = FakeStudio()
    studio.forms.answer("check_video", {"prompt": "Say what the video should show."})
    request = bolt_request(submitted(), studio)
    await run(video_submitted, request)
    request.context.ack.assert_awaited_once_with(
        response_action="errors", errors={"prompt": "Say what the video should show."}
    )
    assert studio.handed() == ["forms.check_video"]


async def test_the_answer_after_closing_is_told_where_the_form_was_opened():
    studio = FakeStudio()
    studio.forms.answer("check_video", CHECKED)
    studio.forms.answer("start_video", "This channel's budget is spent.")
    await run(video_submitted, bolt_request(submitted(), studio))
    assert studio.calls[-1] == ("forms.tell", (CHECKED, "This channel's budget is spent."))


async def test_failures_are_told_with_the_one_wording_on_the_field_or_after_closing():
    studio = FakeStudio()
    studio.forms.answer("check_video", Broken("disk on fire"))
    request = bolt_request(submitted(), studio)
    await run(video_submitted, request)
    request.context.ack.assert_awaited_once_with(response_action="errors", errors={"prompt": SOMETHING_WRONG})
    studio = FakeStudio()
    studio.forms.answer("check_video", CHECKED)
    studio.forms.answer("start_video", Broken("disk on fire"))
    request = bolt_request(submitted(), studio)
    await run(video_submitted, request)
    request.context.ack.assert_awaited_once_with()
    assert studio.calls[-1] == ("forms.tell", (CHECKED, SOMETHING_WRONG))


async def test_app_homes_new_video_button_opens_the_form_with_a_channel_select():
    studio = FakeStudio()
    home = {"id": "V0HOME", "type": "home", "blocks": []}
    action = {"action_id": "home_new_video", "type": "button", "value": "new"}
    request = bolt_request(
        view_action_payload(home, "new", action, user_id="U0ALICE", trigger_id="1.2.abc"), studio
    )
    await run(new_video_button, request)
    request.context.ack.assert_awaited_once_with()
    assert studio.calls == [("forms.video_view", ("T0DAILIES", None, True))]
    request.context.client.views_open.assert_awaited_once_with(trigger_id="1.2.abc", view={"type": "modal"})


async def test_picking_a_channel_updates_the_form_for_it():
    studio = FakeStudio()
    form = {"id": "V0FORM", "hash": "h1", "type": "modal", "callback_id": forms.VIDEO_FORM, "blocks": []}
    action = {
        "action_id": forms.CHANNEL_PICKED,
        "type": "conversations_select",
        "selected_conversation": "C0OTHER",
    }
    request = bolt_request(view_action_payload(form, "channel", action, user_id="U0ALICE"), studio)
    await run(channel_picked, request)
    request.context.ack.assert_awaited_once_with()
    assert studio.calls == [("forms.video_view", ("T0DAILIES", "C0OTHER", True))]
    request.context.client.views_update.assert_awaited_once_with(
        view_id="V0FORM", hash="h1", view={"type": "modal"}
    )
