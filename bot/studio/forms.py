"""Slack's forms for people who don't type flags: the New video modal, and the Edit this clip /
Save as subject shortcuts on a clip's (or card's) message. Each builds the modal, checks a
submission the way the typed command or reply is checked (errors go back onto the fields), and
then does exactly what the command or reply does."""

from __future__ import annotations

from dataclasses import dataclass

from bot.cards import forms
from bot.cards.thread_notes import ThreadNotes
from bot.request import ThreadInstruction, VideoRequest
from bot.request.catalogue import ModelSpec
from bot.request.form import FieldErrors, reply_from_form, subject_from_form, video_from_form
from bot.studio.clip_subject import ClipSubjects, describe
from bot.studio.new_video import NewVideo
from bot.studio.origin import Origin
from bot.studio.routes import Routes
from bot.studio.thread_jobs import ThreadJobs
from storage import approvals, channels
from storage import consent as consent_db
from storage import jobs as jobs_db
from storage import subjects as subjects_db
from storage.db import Store

NOT_A_CLIP = "That shortcut works on a Dailies job card or on a clip in its thread."


@dataclass(frozen=True)
class Clip:
    """The version a shortcut was used on (version None: the card itself, so the latest)."""

    channel_id: str
    shot_id: int
    version: int | None
    title: str
    prompt: str


@dataclass(frozen=True)
class Checked:
    """A submission that passed the checks: who, where, and the request or reply it makes."""

    origin: Origin
    what: VideoRequest | ThreadInstruction | tuple[str, str, bool]  # a subject's (name, description, consent)
    shot_id: int | None = None
    version: int | None = None


def _what(model: ModelSpec, routes: Routes) -> str:
    seconds = model.seconds
    span = f"{seconds[0]}-{seconds[-1]} s" if len(seconds) > 2 else " or ".join(map(str, seconds)) + " s"
    backend = routes.backend_for(model.id)
    where = routes.provider(backend).label or backend
    return f"{model.title} · {span} · {where}"


@dataclass(frozen=True)
class Submissions:
    """Where a submitted form goes: a new video, a job in a clip's thread, a clip saved as a subject."""

    new_video: NewVideo
    thread_jobs: ThreadJobs
    clip_subjects: ClipSubjects


class Forms:
    def __init__(self, store: Store, routes: Routes, submissions: Submissions, notes: ThreadNotes) -> None:
        self.store = store
        self.routes = routes
        self.new_video = submissions.new_video
        self.thread_jobs = submissions.thread_jobs
        self.clip_subjects = submissions.clip_subjects
        self.notes = notes

    def model_choices(self, *, edits: bool = False) -> list[forms.ModelChoice]:
        """The catalogue's models a form offers (those that make a video from a prompt, or that
        edit a clip), each with what it is and what serves it here."""
        chosen = []
        for model in self.routes.catalogue.values():
            if not model.seconds or "text" not in model.inputs or (edits and not model.edits):
                continue
            if self.routes.availability(self.routes.backend_for(model.id), model.id).ok:
                chosen.append(forms.ModelChoice(model.id, _what(model, self.routes)))
        return chosen

    # ---- New video --------------------------------------------------------------------------------

    async def video_view(self, team_id: str, channel_id: str | None, *, pick_channel: bool = False) -> dict:
        """The New video modal for a channel (its default model, its subject library)."""
        subjects, default = [], None
        if channel_id:
            subjects = await self.store.run(subjects_db.list_subjects, team_id, channel_id)
            settings = await self.store.run(channels.get_settings, team_id, channel_id)
            default = settings.default_model or self.routes.catalogue.default_draft
        return forms.video_modal(
            channel_id, self.model_choices(), subjects, default_model=default, pick_channel=pick_channel
        )

    async def check_video(self, view: dict, user_id: str, team_id: str) -> Checked | dict[str, str]:
        """The request a submitted New video modal makes, or the errors to show on its fields."""
        channel = forms.form_channel(view)
        if not channel:
            return forms.field_errors({"channel": "Pick the channel the job card goes to."}, view)
        request = video_from_form(forms.read_video_form(view))
        if isinstance(request, FieldErrors):
            return forms.field_errors(request.errors, view)
        known = {s["name_key"] for s in await self.store.run(subjects_db.list_subjects, team_id, channel)}
        missing = [name for name in request.subjects if name not in known]
        if missing:
            gone = ", ".join("{" + n + "}" for n in missing)
            field = "subjects" if set(missing) & set(forms.read_video_form(view).subjects) else "prompt"
            return forms.field_errors({field: f"No subject {gone} in this channel's library."}, view)
        origin = Origin(channel, user_id, team_id, source_key=f"view:{view['id']}")
        return Checked(origin, request)

    async def start_video(self, checked: Checked) -> str | None:
        """Make the job the flags would; a message for the person when it can't be made."""
        assert isinstance(checked.what, VideoRequest)
        return await self.new_video.request(checked.origin, checked.what)

    # ---- shortcuts on a clip's message ---------------------------------------------------------

    async def clip(self, team_id: str, channel_id: str, message: dict) -> Clip | None:
        """The shot and version a shortcut's message is: the job card, or a clip in its thread."""
        ts = message.get("ts", "")
        shot = await self.store.run(jobs_db.shot_by_card, team_id, channel_id, ts)
        take = None
        if shot is None:
            known = await self.store.run(approvals.message_target, team_id, channel_id, ts)
            if known is None:
                for file in message.get("files") or ():
                    found = await self.store.run(
                        approvals.take_by_file, team_id, channel_id, file.get("id", "")
                    )
                    if found is not None:
                        await self.store.run(
                            approvals.index_message, team_id, channel_id, ts, found["shot_id"], found["id"]
                        )
                        known = {"shot_id": found["shot_id"], "take_id": found["id"]}
                        break
            if known is None or known.get("take_id") is None:
                return None
            take = await self.store.run(jobs_db.get_take, known["take_id"])
            shot = await self.store.run(jobs_db.get_shot, known["shot_id"])
        if shot is None:
            return None
        first = await self.store.run(jobs_db.get_job, take["job_id"]) if take else None
        prompt = (first["request"].get("prompt") if first else None) or shot.get("title") or ""
        return Clip(
            channel_id, shot["id"], take["version"] if take else None, shot.get("title") or "", prompt
        )

    def edit_view(self, clip: Clip) -> dict:
        return forms.edit_modal(
            clip.channel_id, clip.shot_id, clip.version, clip.title, self.model_choices(edits=True)
        )

    def subject_view(self, clip: Clip) -> dict:
        return forms.subject_modal(clip.channel_id, clip.shot_id, clip.version, describe(clip.prompt))

    async def _shot_of(self, view: dict, team_id: str) -> tuple[str, int, int | None] | None:
        meta = forms.metadata(view)
        channel, shot_id, version = meta.get("channel"), meta.get("shot"), meta.get("version")
        if not isinstance(channel, str) or not isinstance(shot_id, int):
            return None
        shot = await self.store.run(jobs_db.get_shot, shot_id)
        if shot is None or shot["channel_id"] != channel or (shot["team_id"] or "") != team_id:
            return None
        return channel, shot_id, version if isinstance(version, int) else None

    async def check_edit(self, view: dict, user_id: str, team_id: str) -> Checked | dict[str, str]:
        """The thread reply an Edit this clip submission makes, or the errors for its fields."""
        where = await self._shot_of(view, team_id)
        if where is None:
            return forms.field_errors({"instruction": "That clip's shot is gone."}, view)
        channel, shot_id, version = where
        instruction = reply_from_form(forms.read_reply_form(view), version)
        if isinstance(instruction, FieldErrors):
            return forms.field_errors(instruction.errors, view)
        origin = Origin(channel, user_id, team_id, source_key=f"view:{view['id']}")
        return Checked(origin, instruction, shot_id)

    async def start_edit(self, checked: Checked) -> str | None:
        assert isinstance(checked.what, ThreadInstruction) and checked.shot_id is not None
        return await self.thread_jobs.start(checked.origin, checked.shot_id, checked.what, checked.what.takes)

    async def check_subject(self, view: dict, user_id: str, team_id: str) -> Checked | dict[str, str]:
        """The `save as subject` a Save as subject submission makes, or the errors for its fields."""
        where = await self._shot_of(view, team_id)
        if where is None:
            return forms.field_errors({"name": "That clip's shot is gone."}, view)
        channel, shot_id, version = where
        named = subject_from_form(*forms.read_subject_form(view))
        if isinstance(named, FieldErrors):
            return forms.field_errors(named.errors, view)
        if await self.store.run(subjects_db.get_subject, team_id, channel, named[0]) is not None:
            message = f"This channel already has a subject {{{named[0]}}}; pick another name."
            return forms.field_errors({"name": message}, view)
        origin = Origin(channel, user_id, team_id, source_key=f"view:{view['id']}")
        return Checked(origin, (*named, forms.read_subject_consent(view)), shot_id, version)

    async def save_subject(self, checked: Checked) -> str | None:
        assert isinstance(checked.what, tuple) and checked.shot_id is not None
        name, description, consent = checked.what
        instruction = ThreadInstruction("save_subject", name, checked.version)
        answer = await self.clip_subjects.save(
            checked.origin, checked.shot_id, instruction, description=description
        )
        origin = checked.origin
        saved = await self.store.run(subjects_db.get_subject, origin.team_id, origin.channel_id, name)
        if consent and saved is not None and saved["added_by"] == origin.user_id:
            await self.store.run(consent_db.give, saved, origin.user_id, "", "form")
            answer = f"{answer or ''} Your consent for `{{{saved['name']}}}`'s likeness and voice is recorded.".strip()
        return answer

    async def tell(self, checked: Checked, text: str) -> None:
        """After the modal closed: the person alone hears what went wrong (in the thread for a clip)."""
        thread_ts = None
        if checked.shot_id is not None:
            shot = await self.store.run(jobs_db.get_shot, checked.shot_id)
            thread_ts = shot.get("card_ts") if shot else None
        await self.notes.tell(checked.origin.channel_id, checked.origin.user_id, text, thread_ts)
