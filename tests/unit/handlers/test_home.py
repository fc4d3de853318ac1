"""App Home: published when opened; its Approve / Reject act like the reactions and show the answer."""

from __future__ import annotations

from unittest.mock import AsyncMock

import pytest

import handlers.home
import handlers.replies
from handlers.home import home_decision, home_opened
from handlers.replies import SOMETHING_WRONG
from tests.fakes.slack_requests import event_payload, view_action_payload

from .conftest import Broken, FakeStudio, bolt_request, run, run_failing

HOME = {"id": "V0HOME", "type": "home", "blocks": []}


@pytest.fixture
def published(monkeypatch) -> AsyncMock:
    """Every publish of the tab, from the listeners or the error handler."""
    publish = AsyncMock()
    monkeypatch.setattr(handlers.home, "publish", publish)
    monkeypatch.setattr(handlers.replies, "publish", publish)
    return publish


def decided(action_id: str) -> dict:
    action = {"action_id": action_id, "type": "button", "value": "C0CHANNEL:12"}
    return view_action_payload(HOME, "approvals", action, user_id="U0BOB")


async def test_opening_the_tab_publishes_it(published):
    studio = FakeStudio()
    opened = event_payload({"type": "app_home_opened", "user": "U0BOB", "channel": "D0BOB", "tab": "home"})
    request = bolt_request(opened, studio)
    await run(home_opened, request)
    published.assert_awaited_once_with(request.context.client, studio.store, "T0DAILIES", "U0BOB")


async def test_a_decision_is_acked_handed_to_the_studio_and_shown(published):
    studio = FakeStudio()
    studio.answer("button", "Approved version 2.")
    request = bolt_request(decided("home_reject"), studio)
    await run(home_decision, request)
    request.context.ack.assert_awaited_once_with()
    origin, decision, ref = studio.calls[-1][1]
    assert (origin.channel_id, origin.user_id, decision, ref) == ("C0CHANNEL", "U0BOB", "reject", "12")
    assert published.await_args.kwargs == {"notice": "Approved version 2."}


async def test_a_failed_decision_shows_the_one_wording_on_the_tab(published):
    studio = FakeStudio()
    studio.answer("button", Broken("disk on fire"))
    request = bolt_request(decided("home_approve"), studio)
    await run_failing(home_decision, request)
    published.assert_awaited_once_with(
        request.context.client, studio.store, "T0DAILIES", "U0BOB", notice=SOMETHING_WRONG
    )
