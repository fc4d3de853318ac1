"""Listener tests in the starter template's style: each listener is called the way Bolt calls it
(its arguments built by Bolt from a Slack-shaped payload), with recording stand-ins for ack,
respond, fail and the Web API client, and a fake studio that records what was handed to it."""

from __future__ import annotations

import logging
from unittest.mock import AsyncMock

import pytest
from slack_bolt.kwargs_injection.async_utils import build_async_required_kwargs
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.util.utils import get_arg_names_of_callable

from bot.outcomes import Refusal
from bot.request.catalogue import shipped_catalogue
from handlers.replies import unexpected

RESPONSE_URL = "http://127.0.0.1:9/response/C0CHANNEL/1"
BOLT_ARGS = {"ack", "body", "client", "context", "respond", "command", "event", "action", "view", "shortcut"}


class Broken(RuntimeError):
    """What a fake raises for "the studio failed unexpectedly"."""


class Recorder:
    """Records every call as (name, args); answers from `answers` (an exception is raised)."""

    def __init__(self, calls: list, prefix: str = "", answers: dict | None = None) -> None:
        self._calls, self._prefix, self._answers = calls, prefix, answers if answers is not None else {}

    def answer(self, name: str, value) -> None:
        self._answers[self._prefix + name] = value

    async def _call(self, name: str, *args):
        self._calls.append((self._prefix + name, args))
        value = self._answers.get(self._prefix + name)
        if isinstance(value, BaseException):
            raise value
        return value


class FakeForms(Recorder):
    async def clip(self, team_id, channel_id, message):
        return await self._call("clip", team_id, channel_id, message)

    def edit_view(self, clip) -> dict:
        return {"type": "modal", "callback_id": "edit_clip_form", "for": clip}

    def subject_view(self, clip) -> dict:
        return {"type": "modal", "callback_id": "subject_form", "for": clip}

    async def video_view(self, team_id, channel_id, pick_channel=False):
        return await self._call("video_view", team_id, channel_id, pick_channel) or {"type": "modal"}

    async def check_video(self, view, user_id, team_id):
        return await self._call("check_video", view["callback_id"], user_id, team_id)

    async def start_video(self, checked):
        return await self._call("start_video", checked)

    async def check_edit(self, view, user_id, team_id):
        return await self._call("check_edit", view["callback_id"], user_id, team_id)

    async def start_edit(self, checked):
        return await self._call("start_edit", checked)

    async def check_subject(self, view, user_id, team_id):
        return await self._call("check_subject", view["callback_id"], user_id, team_id)

    async def save_subject(self, checked):
        return await self._call("save_subject", checked)

    async def tell(self, checked, text):
        return await self._call("tell", checked, text)


class FakeSteps(Recorder):
    async def render(self, execution_id, inputs, team_id, bot_user_id):
        return await self._call("render", execution_id, inputs, team_id, bot_user_id)


class FakeStudio(Recorder):
    """The studio's surface the listeners use; `seen` keys are retries (first_time says False)."""

    catalogue = shipped_catalogue()

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple]] = []
        self.seen: set[str] = set()
        answers: dict = {"in_job_thread": False}
        super().__init__(self.calls, answers=answers)
        self.store = object()
        self.forms = FakeForms(self.calls, "forms.", answers)
        self.workflow_steps = FakeSteps(self.calls, "workflow_steps.", answers)

    def handed(self) -> list[str]:
        """The names of the studio calls made, in order."""
        return [name for name, _ in self.calls]

    async def first_time(self, key: str, kind: str) -> bool:
        self.calls.append(("first_time", (key, kind)))
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    async def handle(self, origin, parsed):
        if isinstance(parsed, Refusal):
            return parsed.message
        return await self._call("handle", origin, parsed)

    async def thread_reply(self, origin, thread_ts, text, files=()):
        return await self._call("thread_reply", origin, thread_ts, text, files)

    async def thread_message(self, origin, thread_ts, ts, text, bot_user_id):
        return await self._call("thread_message", origin, thread_ts, ts, text, bot_user_id)

    async def message_edited(self, team_id, channel_id, ts, text):
        return await self._call("message_edited", team_id, channel_id, ts, text)

    async def message_deleted(self, team_id, channel_id, ts):
        return await self._call("message_deleted", team_id, channel_id, ts)

    async def in_job_thread(self, team_id, channel_id, thread_ts):
        return await self._call("in_job_thread", team_id, channel_id, thread_ts)

    async def reaction(self, origin, ts, name, added):
        return await self._call("reaction", origin, ts, name, added)

    async def button(self, origin, action_id, value):
        return await self._call("button", origin, action_id, value)


def bolt_request(payload: dict, studio: FakeStudio | None = None, **context) -> AsyncBoltRequest:
    """The request Bolt builds from `payload` (its context extracted by Bolt), with recording ack,
    respond, fail and client, and the collaborators handlers.register puts in every context."""
    request = AsyncBoltRequest(body=payload, mode="socket_mode")
    request.context.update(
        ack=AsyncMock(),
        respond=AsyncMock(),
        fail=AsyncMock(),
        client=AsyncMock(),
        bot_user_id="UBOT",
        studio=studio,
        room=None,
    )
    request.context.update(context)
    return request


async def run(listener, request: AsyncBoltRequest) -> None:
    """Call `listener` with the arguments Bolt would give it; each must be one Bolt can give."""
    names = get_arg_names_of_callable(listener)
    unknown = [n for n in names if n not in BOLT_ARGS and n not in request.context]
    assert not unknown, f"Bolt has nothing to pass as {unknown}"
    kwargs = build_async_required_kwargs(
        logger=logging.getLogger("test"),
        required_arg_names=names,
        request=request,
        response=None,
        next_keys_required=False,
    )
    await listener(**kwargs)


async def run_failing(listener, request: AsyncBoltRequest) -> None:
    """Call `listener`, which must raise, and hand the error to the app's error handler as Bolt does."""
    with pytest.raises(Broken) as raised:
        await run(listener, request)
    await unexpected(raised.value, request.body, request.context)
