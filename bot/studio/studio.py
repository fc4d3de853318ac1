"""The studio: what Dailies does with a parsed request, between the Slack listeners and the runner.
Listeners call it after they ack; it routes each command, reply, reaction or button to its feature."""

from __future__ import annotations

from dataclasses import dataclass

from bot.cards import answers
from bot.cards.board import CANCEL_CAMPAIGN, EVERY_ASPECT, MAKE_CUT
from bot.cards.offers import CONSENT_ACTION, OFFER_ACTION
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
from bot.request.catalogue import Catalogue
from bot.request.commands import CampaignForm
from bot.request.cut import CutAsk
from bot.request.help import help_for
from bot.studio.avatar import Avatars
from bot.studio.campaigns import Campaigns
from bot.studio.cancel import Cancellation
from bot.studio.consent import Consents, origin_of
from bot.studio.decisions import Decisions
from bot.studio.forms import Forms
from bot.studio.new_video import NewVideo
from bot.studio.origin import Origin
from bot.studio.reports import Reports
from bot.studio.routes import Routes
from bot.studio.share import Shares
from bot.studio.subjects import Library
from bot.studio.thread_jobs import ThreadJobs
from bot.studio.thread_talk import ThreadTalk
from bot.studio.voices import VoiceSamples
from bot.studio.workflow_steps import WorkflowSteps
from storage import channels, deliveries
from storage.db import Store


@dataclass(frozen=True)
class Making:
    """The ways a job is asked for: /video, an avatar, a thread reply or card button, the modals
    and the Workflow Builder step "Render a video"."""

    new_video: NewVideo
    avatars: Avatars
    thread_jobs: ThreadJobs
    forms: Forms
    workflow_steps: WorkflowSteps
    shares: Shares | None = None  # Post to #channel: a DM draft shared into a channel
    campaigns: Campaigns | None = None


@dataclass(frozen=True)
class Reviewing:
    """Deciding on a version (reactions, buttons, the screening room), stopping a job, and who a
    thread reply is for (review notes and their offers; None: every reply is for Dailies)."""

    decisions: Decisions
    cancellation: Cancellation
    thread_talk: ThreadTalk | None = None


@dataclass(frozen=True)
class Keeping:
    """What a channel keeps and is told about: reports and settings, subjects, the consent on
    record for their likeness, their voices."""

    reports: Reports
    library: Library
    consents: Consents
    voices: VoiceSamples | None = None


class Studio:
    def __init__(
        self, store: Store, routes: Routes, making: Making, reviewing: Reviewing, keeping: Keeping
    ) -> None:
        self.store = store
        self.routes = routes
        self.new_video = making.new_video
        self.avatars = making.avatars
        self.thread_jobs = making.thread_jobs
        self.forms = making.forms  # the New video modal and the clip shortcuts' modals
        self.workflow_steps = making.workflow_steps  # the Workflow Builder step "Render a video"
        self.shares = making.shares
        self.campaigns = making.campaigns  # a brief of shots, one board
        self.decisions = reviewing.decisions
        self.cancellation = reviewing.cancellation
        self.reports = keeping.reports
        self.library = keeping.library
        self.voices = keeping.voices
        self.thread_talk = reviewing.thread_talk  # who a thread reply is for; review notes and offers
        self.consents = keeping.consents  # consent for likeness and voice, and its offers

    async def first_time(self, key: str, kind: str) -> bool:
        """False when Slack already delivered this (a retry): the caller then does nothing."""
        return await self.store.run(deliveries.claim, key, kind)

    # ---- routing ----------------------------------------------------------------------------------
    def backend_for(self, model_id: str) -> str:
        return self.routes.backend_for(model_id)

    @property
    def catalogue(self) -> Catalogue:
        """The models offered here (the shipped catalogue with the operator's overrides)."""
        return self.routes.catalogue

    def model_routes(self) -> dict:
        return self.routes.model_routes()

    def final_model(self, settings: channels.ChannelSettings) -> str:
        return self.routes.final_model(settings)

    # ---- new videos -------------------------------------------------------------------------------
    async def handle(self, origin: Origin, parsed: Command | Refusal) -> str | None:
        """A parsed /video or mention: the refusal, a new job (None when it started), or an answer."""
        if isinstance(parsed, Refusal):
            return parsed.message
        if isinstance(parsed, VideoRequest):
            return await self.request_video(origin, parsed)
        return await self.answer(origin, parsed)

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

    async def thread_message(
        self, origin: Origin, thread_ts: str, ts: str, text: str, bot_user_id: str | None
    ) -> str | None:
        """A person's message in a job's thread, without a mention of the bot: a reply when it is
        for Dailies (`/video settings replies`), else a review note that starts nothing."""
        if self.thread_talk is None:
            return await self.thread_reply(origin, thread_ts, text, origin.files)
        return await self.thread_talk.message(origin, thread_ts, ts, text, bot_user_id)

    async def message_edited(self, team_id: str, channel_id: str, ts: str, text: str) -> None:
        """A message edited in Slack: a review note follows it (an edited order starts nothing)."""
        if self.thread_talk is not None:
            await self.thread_talk.edited(team_id, channel_id, ts, text)

    async def message_deleted(self, team_id: str, channel_id: str, ts: str) -> None:
        """A message deleted in Slack: its review note goes too."""
        if self.thread_talk is not None:
            await self.thread_talk.deleted(team_id, channel_id, ts)

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
        """A card button (approve, another_take, final_render, cancel), a note's render offer or a
        consent offer's; an ephemeral reply or None."""
        if action_id == CONSENT_ACTION:
            return await self.consent_and_run(origin, value)
        if action_id == OFFER_ACTION and self.thread_talk is not None:
            return await self.thread_talk.press_offer(origin, value)
        if action_id == CANCEL_CAMPAIGN:
            return await self.cancellation.cancel(origin, f"C{value}")
        if action_id == EVERY_ASPECT and value.isdigit():
            return await self.thread_jobs.every_aspect(origin, int(value), None)
        if action_id == MAKE_CUT and value.isdigit() and self.thread_jobs.cuts is not None:
            return await self.thread_jobs.cuts.start(origin, int(value), CutAsk(()))
        return await self.decisions.button(origin, action_id, value)

    async def consent_and_run(self, origin: Origin, token: str) -> str:
        """The consent offer's button: consent recorded as the presser, then the request they held
        runs exactly as asked, under the same approval, job-limit and budget rules."""
        pressed = await self.consents.press(origin, token)
        if isinstance(pressed, str):
            return pressed
        kind, held, names = pressed
        asked = origin_of(held)
        answer: str | None
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
                return answers.models_text(answers.model_rows(self.model_routes(), self.catalogue))
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
            case CampaignForm() if self.campaigns is not None:
                return await self.campaigns.from_mention(origin) or ""
        return "That part of Dailies is not available in this version; see `/video help`."

    async def cancel(self, origin: Origin, ref: str, reason: str = "cancelled") -> str:
        """Stop a job (its card and thread say so); `reason` is "cancelled" or "rejected"."""
        return await self.cancellation.cancel(origin, ref, reason)
