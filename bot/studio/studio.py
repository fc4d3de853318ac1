"""The studio: what Dailies does with a parsed request, between the Slack listeners and the runner.
Listeners call it after they ack; it routes each command, reply, reaction or button to its feature."""

from __future__ import annotations

import logging

from bot.cards import answers
from bot.cards.offers import CONSENT_ACTION
from bot.outcomes import Refusal
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
    SubjectConsent,
    SubjectList,
    SubjectRemove,
    SubjectRename,
    SubjectShow,
    SubjectVoice,
    ThreadInstruction,
    VideoRequest,
)
from bot.request.help import help_for
from bot.studio.avatar import Avatars
from bot.studio.cancel import Cancellation
from bot.studio.consent import Consents, origin_of
from bot.studio.decisions import Decisions
from bot.studio.forms import Forms
from bot.studio.new_video import NewVideo
from bot.studio.origin import Origin
from bot.studio.reports import Reports
from bot.studio.routes import Routes
from bot.studio.subjects import Library
from bot.studio.thread_jobs import ThreadJobs
from bot.studio.voices import VoiceSamples
from bot.studio.workflow_steps import WorkflowSteps
from storage import channels, deliveries
from storage.db import Store

log = logging.getLogger(__name__)
SOMETHING_WRONG = "Something went wrong on our side and nothing was started. Please try again."


class Studio:
    def __init__(
        self,
        store: Store,
        routes: Routes,
        *,
        new_video: NewVideo,
        avatars: Avatars,
        thread_jobs: ThreadJobs,
        decisions: Decisions,
        cancellation: Cancellation,
        reports: Reports,
        library: Library,
        consents: Consents,
        voices: VoiceSamples | None = None,
        forms: Forms | None = None,
        workflow_steps: WorkflowSteps | None = None,
    ) -> None:
        self.store = store
        self.routes = routes
        self.new_video = new_video
        self.avatars = avatars
        self.thread_jobs = thread_jobs
        self.decisions = decisions
        self.cancellation = cancellation
        self.reports = reports
        self.library = library
        self.consents = consents
        self.voices = voices
        self.forms = forms  # the New video modal and the clip shortcuts' modals
        self.workflow_steps = workflow_steps  # the Workflow Builder step "Render a video"

    async def first_time(self, key: str, kind: str) -> bool:
        """False when Slack already delivered this (a retry): the caller then does nothing."""
        return await self.store.run(deliveries.claim, key, kind)

    # ---- routing ----------------------------------------------------------------------------------
    def backend_for(self, model_id: str) -> str:
        return self.routes.backend_for(model_id)

    def model_routes(self) -> dict:
        return self.routes.model_routes()

    def final_model(self, settings: channels.ChannelSettings) -> str:
        return self.routes.final_model(settings)

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
        return await self.new_video.request(origin, req)

    # ---- working in a job's thread ----------------------------------------------------------------
    async def thread_reply(
        self, origin: Origin, thread_ts: str, text: str, files: tuple[dict, ...] = ()
    ) -> str | None:
        """A person's reply in a thread: an edit, `again`, `extend …`, `final`. None when the thread
        is not a job's (ignored) or the job started; otherwise a message for them."""
        return await self.thread_jobs.reply(origin, thread_ts, text, files)

    async def in_job_thread(self, team_id: str, channel_id: str, thread_ts: str) -> bool:
        return await self.thread_jobs.in_job_thread(team_id, channel_id, thread_ts)

    async def another_take(self, origin: Origin, take_id: int) -> str | None:
        """The same request as that version again, as a new version with a new seed."""
        return await self.thread_jobs.another_take(origin, take_id)

    async def final_render(self, origin: Origin, take_id: int) -> str | None:
        """That version's request on the channel's final model, as a new version marked final."""
        return await self.thread_jobs.final_render(origin, take_id)

    # ---- review -----------------------------------------------------------------------------------
    async def reaction(self, origin: Origin, ts: str, name: str, added: bool) -> None:
        """A reaction added or removed on a card or a clip's message."""
        await self.decisions.reaction(origin, ts, name, added)

    async def button(self, origin: Origin, action_id: str, value: str) -> str | None:
        """A card button (approve, another_take, final_render, cancel) or a consent offer's; an
        ephemeral reply or None."""
        if action_id == CONSENT_ACTION:
            return await self.consent_and_run(origin, value)
        return await self.decisions.button(origin, action_id, value)

    async def consent_and_run(self, origin: Origin, token: str) -> str:
        """The consent offer's button: consent recorded as the presser, then the request they held
        runs exactly as asked, under the same approval, job-limit and budget rules."""
        pressed = await self.consents.press(origin, token)
        if isinstance(pressed, str):
            return pressed
        kind, held, names = pressed
        asked = origin_of(held)
        if kind == "avatar":
            answer = await self.avatars.request(asked, Avatar(**held["command"]))
        elif kind == "lipsync":
            instruction = ThreadInstruction(**held["command"])
            answer = await self.thread_jobs.start(asked, held["shot_id"], instruction, instruction.takes)
        elif kind == "voice" and self.voices is not None:
            answer = await self.voices.set_voice(asked, SubjectVoice(**held["command"]))
        else:
            answer = "That part of Dailies is not available in this version."
        shown = " and ".join(f"`{{{n}}}`" for n in names)
        recorded = f"Recorded your consent for {shown}."
        return (
            f"{recorded} {answer}"
            if answer
            else f"{recorded} Your request is on its way: its card shows where it stands."
        )

    async def decide(self, origin: Origin, take_id: int, decision: str, via: str = "button") -> str | None:
        """A decision ("approve", "reject", "withdrawn") on one version, with a reaction's rules."""
        return await self.decisions.decide(origin, take_id, decision, via)

    # ---- subcommands ------------------------------------------------------------------------------
    async def answer(self, origin: Origin, command) -> str:
        """The ephemeral answer to a subcommand."""
        match command:
            case Help(topic=topic):
                return help_for(topic)
            case Models():
                return answers.models_text(answers.model_rows(self.model_routes()))
            case Jobs():
                return await self.reports.jobs_text(origin)
            case Cancel(job_id=ref):
                return await self.cancel(origin, ref)
            case SettingsShow():
                return await self.reports.settings_text(origin)
            case SettingsSet(key=key, value=value):
                return await self.reports.change_setting(origin, key, value)
            case Spend():
                return await self.reports.spend_text(origin)
            case Audit():
                return await self.reports.audit_text(origin)
            case SubjectAdd(name=name, image_urls=urls, description=description):
                return await self.library.add(
                    origin.team_id, origin.channel_id, origin.user_id, name, urls, origin.files, description
                )
            case SubjectList():
                return await self.library.list_text(origin.team_id, origin.channel_id)
            case SubjectShow(name=name):
                return await self.library.show_text(origin.team_id, origin.channel_id, name)
            case SubjectRemove(name=name):
                return await self.library.remove(origin.team_id, origin.channel_id, name)
            case SubjectRename(old=old, new=new):
                return await self.library.rename(origin.team_id, origin.channel_id, old, new)
            case SubjectConsent():
                return await self.consents.command(origin, command)
            case SubjectVoice() if self.voices is not None:
                return await self.voices.set_voice(origin, command)
            case Avatar():
                return await self.avatars.request(origin, command)
        return "That part of Dailies is not available in this version; see `/video help`."

    async def cancel(self, origin: Origin, ref: str, reason: str = "cancelled") -> str:
        """Stop a job (its card and thread say so); `reason` is "cancelled" or "rejected"."""
        return await self.cancellation.cancel(origin, ref, reason)
