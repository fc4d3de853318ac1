"""The studio: what Dailies does with a parsed request, between the Slack listeners and the runner.
Listeners call it after they ack; it stores jobs, answers subcommands and wakes the runner."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot import decisions, threadjobs, views
from bot.avatars import avatar_job
from bot.cardpub import CardPublisher, permanent_slack_error
from bot.catalogue import (
    DEFAULT_DRAFT_MODEL,
    FINAL_MODEL_PREFERENCE,
    Refusal,
    check_request,
    estimate_cost,
    get_model,
)
from bot.config import Config
from bot.fetch import FetchRefused, fetch_slack_file, fetch_url
from bot.grammar import (
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
from bot.help import HELP_TEXT
from bot.library import Library, Unresolved, apply_subjects
from bot.mediacheck import MediaRejected, check_image
from bot.providers.base import Mode, Provider
from bot.providers.registry import route
from bot.review import may_press, only_pressers
from bot.runner import JobRunner
from storage import audit, channels, deliveries
from storage import jobs as jobs_db
from storage.clock import month_start_iso
from storage.db import Store

log = logging.getLogger(__name__)
IMAGE_LIMIT = 10 * 1024 * 1024
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
        from bot.catalogue import CATALOGUE

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
        settings = await self.store.run(channels.get_settings, origin.channel_id)
        model_id = req.model or settings.default_model or DEFAULT_DRAFT_MODEL
        model = get_model(model_id)
        if model is None:
            return f"The channel's default model `{model_id}` is unknown; set one with `/video settings model ID`."
        images = [f for f in origin.files if (f.get("mimetype") or "").startswith("image/")]
        has_image = bool(req.image_url or images)
        try:
            subjects = await self.library.resolve(
                origin.channel_id, req.subjects, model, extra_images=int(has_image)
            )
        except Unresolved as exc:
            return exc.message
        refusal = check_request(req, model, has_reference=has_image or bool(subjects))
        if refusal is None and images and "image" not in model.inputs:
            refusal = Refusal(
                f"{model.id} can't start from an image; drop the attachment or pick another model."
            )
        if refusal is not None:
            return refusal.message
        backend = self.backend_for(model.id)
        mode = Mode.IMAGE if has_image else Mode.TEXT
        availability = self.providers[backend].availability(model.id, mode)
        if not availability.ok:
            hint = f" Try `--model {availability.suggestion}`." if availability.suggestion else ""
            return f"`{model.id}` can't run here: {availability.reason}.{hint}"
        seconds = req.seconds or model.default_seconds
        aspect = req.aspect or (model.aspects[0] if model.aspects else "16:9")
        resolution = req.resolution or model.default_resolution
        audio = req.audio if req.audio is not None else model.default_audio
        image = None
        if has_image:
            try:
                image = await self._fetch_image(req.image_url, images[0] if images else None)
            except (FetchRefused, MediaRejected) as exc:
                return exc.message
        estimate = 0.0
        if backend != "preview":
            estimate = estimate_cost(
                model, seconds=seconds or 0, resolution=resolution, audio=audio, takes=req.takes
            )
        request = {
            "mode": mode.value,
            "prompt": req.prompt,
            "seconds": seconds,
            "aspect": aspect,
            "resolution": resolution,
            "audio": audio,
            "negative": req.negative,
            "image": image,
        }
        request = apply_subjects(request, subjects, model)
        seeds = _seeds(req.seed, req.takes) if model.seeds else ()
        new = jobs_db.NewJob(
            channel_id=origin.channel_id,
            team_id=origin.team_id,
            user_id=origin.user_id,
            kind="generate",
            model=model.id,
            backend=backend,
            request=request,
            takes=req.takes,
            estimate_usd=round(estimate, 2),
            source_key=origin.source_key,
            title=req.prompt,
            seeds=seeds,
        )
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
        self.inputs_dir.mkdir(parents=True, exist_ok=True)
        dest = self.inputs_dir / f"img-{random.getrandbits(64):016x}"
        if slack_file is not None:
            fetched = await fetch_slack_file(
                slack_file,
                dest,
                token=self.config.slack_bot_token,
                kind="image",
                max_bytes=IMAGE_LIMIT,
                allowed_hosts=self.slack_file_hosts,
                extra_allowed_hosts=self.slack_file_hosts,  # "host:port" entries (tests' stand-in)
            )
            url = None  # Slack's URLs need our token: backends get the bytes instead
        else:
            fetched = await fetch_url(
                url, dest, kind="image", max_bytes=IMAGE_LIMIT, allow_private=self.config.allow_private_urls
            )
        await asyncio.to_thread(check_image, fetched.path)
        return {"url": url, "path": str(fetched.path), "mime": fetched.mime}

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
            case Help():
                return HELP_TEXT
            case Models():
                return views.models_text(views.model_rows(self.model_routes()))
            case Jobs():
                return await self._jobs_text(origin)
            case Cancel(job_id=ref):
                return await self.cancel(origin, ref)
            case SettingsShow():
                return await self._settings_text(origin)
            case SettingsSet(key=key, value=value):
                return await self._set(origin, key, value)
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

    async def _jobs_text(self, origin: Origin) -> str:
        def load(db) -> list[dict]:
            shot_ids = list(dict.fromkeys(j["shot_id"] for j in jobs_db.recent_jobs(db, origin.channel_id, 30)))
            views_ = [jobs_db.shot_view(db, shot_id) for shot_id in shot_ids[:8]]
            return [dict(shot, jobs=jobs, takes=takes) for shot, jobs, takes in views_ if shot and jobs]

        shots = await self.store.run(load)
        return views.jobs_text(shots, lambda shot: f"(thread {shot['card_ts']})" if shot.get("card_ts") else "")

    async def _settings_text(self, origin: Origin) -> str:
        settings = await self.store.run(channels.get_settings, origin.channel_id)
        spent = await self.store.run(channels.month_spend, origin.channel_id, month_start_iso())
        return views.settings_text(
            settings,
            default_model=settings.default_model or DEFAULT_DRAFT_MODEL,
            final_model=self.final_model(settings),
            spent=spent,
        )

    async def _set(self, origin: Origin, key: str, value) -> str:
        if key in ("model", "final-model"):
            model = get_model(str(value))
            if model is None:
                return f"`{value}` is not a model I know; see `/video models`."
            value = model.id
            if key == "final-model":
                backend = self.backend_for(model.id)
                avail = self.providers[backend].availability(model.id)
                if not avail.ok:
                    return f"`{model.id}` can't run here: {avail.reason}."
        await self.store.run(channels.set_setting, origin.channel_id, key, value)
        await self.store.run(audit.record, origin.channel_id, origin.user_id, "settings", f"{key} = {value}")
        return "Saved.\n" + await self._settings_text(origin)

    async def cancel(self, origin: Origin, ref: str, reason: str = "cancelled") -> str:
        """Stop a job (its card and thread say so); `reason` is "cancelled" or "rejected"."""
        digits = ref.strip().lstrip("#").upper().removeprefix("J")
        if not digits.isdigit():
            return f"`{ref}` is not a job id; job ids look like J42 (see `/video jobs`)."
        job = await self.store.run(jobs_db.get_job, int(digits))
        if job is None or job["channel_id"] != origin.channel_id:
            return f"There is no job J{digits} in this channel; see `/video jobs`."
        settings = await self.store.run(channels.get_settings, origin.channel_id)
        if not may_press(origin.user_id, settings.approvers, job["user_id"]):
            return only_pressers(f"cancel J{digits}")
        if job["state"] in jobs_db.TERMINAL:
            return f"J{digits} has already {job['state']}."
        await self.store.run(
            jobs_db.set_job_state, job["id"], "cancelled", f"by {origin.user_id}", "cancelled"
        )
        await self.store.run(audit.record, origin.channel_id, origin.user_id, "cancel", reason, job["id"])
        await self.runner.cancel_job(job["id"])
        await decisions.tell_thread(self, job, f":no_entry_sign: J{digits} was {reason} by <@{origin.user_id}>.")
        self.cards.touch(job["shot_id"])
        return f"Cancelled J{digits}."


def _seeds(seed: int | None, takes: int) -> tuple[int, ...]:
    base = seed if seed is not None else random.randrange(1, 2**31 - 1 - takes)
    return tuple(base + i for i in range(takes))


__all__ = ["Origin", "Studio", "replace"]
