"""The studio: what Dailies does with a parsed request, between the Slack listeners and the runner.
Listeners call it after they ack; it stores jobs, answers subcommands and wakes the runner."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.cards import text as views
from bot.cards.publisher import CardPublisher, permanent_slack_error
from bot.config import Config
from bot.outcomes import Refusal
from bot.providers.base import Mode, Provider
from bot.providers.registry import route
from bot.request import (
    Audit,
    Avatar,
    Cancel,
    Command,
    Help,
    Jobs,
    Models,
    SettingsSet,
    SettingsShow,
    Spend,
    SubjectAdd,
    SubjectList,
    SubjectRemove,
    SubjectRename,
    SubjectShow,
    ThreadInstruction,
    VideoRequest,
    parse_reply,
)
from bot.request.catalogue import FINAL_MODEL_PREFERENCE, get_model
from bot.request.help import help_for
from bot.runner.job_runner import JobRunner
from bot.studio import decisions
from bot.studio import new_video as newvideo
from bot.studio import reports as answers
from bot.studio import thread_jobs as threadjobs
from bot.studio.avatar import avatar_job
from bot.studio.subjects import Library
from storage import channels, deliveries
from storage import jobs as jobs_db
from storage.clock import month_start_iso
from storage.db import Store

log = logging.getLogger(__name__)
SOMETHING_WRONG = "Something went wrong on our side and nothing was started. Please try again."
CANT_POST = {
    "not_in_channel": "I'm not in this channel yet: invite me with `/invite @Dailies`, then ask again.",
    "channel_not_found": "I can't post here: this is a private conversation I'm not part of. "
    "Invite me with `/invite @Dailies`, or use a channel I'm in.",
    "is_archived": "This channel is archived, so I can't post the job card here.",
}


@dataclass(frozen=True)
class Origin:
    """Who asked, where, and what Slack delivery it came from."""

    channel_id: str
    user_id: str
    team_id: str = ""
    source_key: str = ""  # one job per trigger: "cmd:<trigger_id>", "msg:<channel>:<ts>"
    files: tuple[dict, ...] = field(default_factory=tuple)  # Slack file objects attached to a mention


class Studio:
    def __init__(
        self,
        config: Config,
        store: Store,
        providers: dict[str, Provider],
        runner: JobRunner,
        cards: CardPublisher,
        *,
        slack_file_hosts: tuple[str, ...] = ("files.slack.com",),
    ) -> None:
        self.config = config
        self.store = store
        self.providers = providers
        self.runner = runner
        self.cards = cards
        self.slack_file_hosts = slack_file_hosts
        self.inputs_dir = Path(config.media_dir) / "inputs"
        self.library = Library(
            store, config.media_dir, token=config.slack_bot_token,
            allow_private=config.allow_private_urls, slack_file_hosts=slack_file_hosts,
        )  # fmt: skip

    async def first_time(self, key: str, kind: str) -> bool:
        """False when Slack already delivered this (a retry): the caller then does nothing."""
        return await self.store.run(deliveries.claim, key, kind)

    # ---- routing ----------------------------------------------------------------------------------
    def backend_for(self, model_id: str) -> str:
        return route(model_id, self.config)

    def model_routes(self) -> dict:
        routes = {}
        from bot.request.catalogue import CATALOGUE

        for model in CATALOGUE.values():
            backend = self.backend_for(model.id)
            mode = Mode.AVATAR if "text" not in model.inputs else Mode.TEXT
            routes[model.id] = (backend, self.providers[backend].availability(model.id, mode))
        return routes

    def final_model(self, settings: channels.ChannelSettings) -> str:
        if settings.final_model:
            return settings.final_model
        for model_id in FINAL_MODEL_PREFERENCE:
            backend = self.backend_for(model_id)
            if backend != "preview" and self.providers[backend].availability(model_id).ok:
                return model_id
        return FINAL_MODEL_PREFERENCE[-1]

    # ---- new videos -------------------------------------------------------------------------------
    async def handle(self, origin: Origin, parsed: Command | Refusal) -> str | None:
        """A parsed /video or mention: the refusal, a new job (None when it started), or an answer."""
        try:
            if isinstance(parsed, Refusal):
                return parsed.message
            if isinstance(parsed, VideoRequest):
                return await self.request_video(origin, parsed)
            return await self.answer(origin, parsed)
        except Exception:
            log.exception("request from %s failed", origin.source_key)
            return SOMETHING_WRONG

    async def request_video(self, origin: Origin, req: VideoRequest) -> str | None:
        """Store a job for `req` and start it; returns a message for the requester when refused."""
        new = await newvideo.generate_job(self, origin, req)
        if isinstance(new, str):
            return new
        return await self._start(new)

    async def _avatar(self, origin: Origin, cmd: Avatar) -> str:
        """Store a talking-avatar job; returns a message only when something must be fixed."""
        model_id = cmd.model or "kling-avatar-pro"
        backend = self.backend_for(model_id) if get_model(model_id) else "preview"
        new = await avatar_job(
            cmd, channel_id=origin.channel_id, user_id=origin.user_id, team_id=origin.team_id,
            source_key=origin.source_key, files=origin.files, library=self.library,
            backend=backend, provider=self.providers[backend], inputs_dir=self.inputs_dir,
        )  # fmt: skip
        if isinstance(new, str):
            return new
        return await self._start(new) or ""

    async def _start(self, new: jobs_db.NewJob) -> str | None:
        try:
            # the cost gate: decided and stored in one step, so two jobs cannot both slip through
            shot_id, job_id, _ = await self.store.run(decisions.create_gated, new, month_start_iso())
        except jobs_db.DuplicateTrigger:
            return None
        try:
            await self.cards.ensure_posted(shot_id)
        except Exception as exc:
            error = permanent_slack_error(exc)
            if error is None:
                log.warning("card for shot %s not posted yet (%s); the runner will retry", shot_id, exc)
            else:
                message = CANT_POST.get(error, f"I can't post in this conversation (Slack said `{error}`).")
                await self.store.run(jobs_db.set_job_state, job_id, "failed", message, "failed")
                return message + " Nothing was rendered or charged."
        self.runner.wake()
        return None

    async def _fetch_image(self, url: str | None, slack_file: dict | None) -> dict:
        return await newvideo.fetch_image(self, url, slack_file)

    # ---- working in a job's thread (bot/threads.py, bot/threadjobs.py) ---------------------------
    async def thread_reply(
        self, origin: Origin, thread_ts: str, text: str, files: tuple[dict, ...] = ()
    ) -> str | None:
        """A person's reply in a thread: an edit, `again`, `extend …`, `final`. None when the thread
        is not a job's (ignored) or the job started; otherwise a message for them."""
        shot = await self.store.run(jobs_db.shot_by_card, origin.channel_id, thread_ts)
        if shot is None:
            return None
        instruction = parse_reply(text)
        if isinstance(instruction, Refusal):
            return instruction.message
        origin = replace(origin, files=tuple(files))
        return await threadjobs.start(self, origin, shot["id"], instruction, instruction.takes)

    async def in_job_thread(self, channel_id: str, thread_ts: str) -> bool:
        return await self.store.run(jobs_db.shot_by_card, channel_id, thread_ts) is not None

    async def another_take(self, origin: Origin, take_id: int) -> str | None:
        """The same request as that version again, as a new version with a new seed."""
        return await self._on_version(origin, take_id, "again")

    async def final_render(self, origin: Origin, take_id: int) -> str | None:
        """That version's request on the channel's final model, as a new version marked final."""
        return await self._on_version(origin, take_id, "final")

    async def _on_version(self, origin: Origin, take_id: int, kind: str) -> str | None:
        take = await self.store.run(jobs_db.get_take, take_id)
        shot = await self.store.run(jobs_db.get_shot, take["shot_id"]) if take else None
        if take is None or shot is None or shot["channel_id"] != origin.channel_id:
            return "That version is not in this channel any more."
        instruction = ThreadInstruction(kind, version=take["version"])
        return await threadjobs.start(self, origin, shot["id"], instruction, 1)

    # ---- review (bot/decisions.py) ----------------------------------------------------------------
    async def reaction(self, origin: Origin, ts: str, name: str, added: bool) -> None:
        """A reaction added or removed on a card or a clip's message."""
        await decisions.on_reaction(self, origin, ts, name, added)

    async def button(self, origin: Origin, action_id: str, value: str) -> str | None:
        """A card button (approve, another_take, final_render, cancel); an ephemeral reply or None."""
        return await decisions.on_button(self, origin, action_id, value)

    # ---- subcommands ------------------------------------------------------------------------------
    async def answer(self, origin: Origin, command) -> str:
        """The ephemeral answer to a subcommand."""
        match command:
            case Help(topic=topic):
                return help_for(topic)
            case Models():
                return views.models_text(views.model_rows(self.model_routes()))
            case Jobs():
                return await answers.jobs_text(self, origin)
            case Cancel(job_id=ref):
                return await self.cancel(origin, ref)
            case SettingsShow():
                return await answers.settings_text(self, origin)
            case SettingsSet(key=key, value=value):
                return await answers.change_setting(self, origin, key, value)
            case Spend():
                return await decisions.spend_text(self, origin)
            case Audit():
                return await decisions.audit_text(self, origin)
            case SubjectAdd(name=name, image_urls=urls, description=description):
                return await self.library.add(
                    origin.channel_id, origin.user_id, name, urls, origin.files, description
                )
            case SubjectList():
                return await self.library.list_text(origin.channel_id)
            case SubjectShow(name=name):
                return await self.library.show_text(origin.channel_id, name)
            case SubjectRemove(name=name):
                return await self.library.remove(origin.channel_id, name)
            case SubjectRename(old=old, new=new):
                return await self.library.rename(origin.channel_id, old, new)
            case Avatar():
                return await self._avatar(origin, command)
        return "That part of Dailies is not available in this version; see `/video help`."

    async def cancel(self, origin: Origin, ref: str, reason: str = "cancelled") -> str:
        """Stop a job (its card and thread say so); `reason` is "cancelled" or "rejected"."""
        return await answers.cancel(self, origin, ref, reason)
