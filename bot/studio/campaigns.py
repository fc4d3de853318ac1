"""Campaigns: the form's brief checked line by line before anything starts, then every shot ×
aspect made into a job (as `/video` would make it) and stored with its board under one cost gate."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.cards import forms
from bot.cards.campaign_form import campaign_modal, read_campaign_form
from bot.cards.publisher import CardPublisher, permanent_slack_error
from bot.outcomes import UserError
from bot.request.campaign import (
    Brief,
    Campaign,
    LineError,
    check_brief,
    parse_campaign,
    table_lines,
    typed_lines,
)
from bot.studio.inputs import Inputs
from bot.studio.new_video import NewVideo
from bot.studio.origin import Origin
from bot.studio.routes import Routes
from bot.studio.start import CANT_POST
from storage import campaigns as campaigns_db
from storage import channels
from storage import jobs as jobs_db
from storage import subjects as subjects_db
from storage.clock import month_start_iso
from storage.db import Store
from storage.states import JobState, TakeState

log = logging.getLogger(__name__)
SHOWN_ERRORS = 8  # line errors listed on the form; the rest are counted


@dataclass(frozen=True)
class CheckedCampaign:
    origin: Origin
    campaign: Campaign
    shot_id: None = None  # a form's answer after it closed goes to the channel, not a thread


class Campaigns:
    def __init__(
        self,
        store: Store,
        routes: Routes,
        new_video: NewVideo,
        inputs: Inputs,
        cards: CardPublisher,
        *,
        wake: Callable[[], None],
        models: Callable[[], list[forms.ModelChoice]],
    ) -> None:
        self.store = store
        self.routes = routes
        self.new_video = new_video  # each shot × aspect is the job `/video` would make
        self.inputs = inputs  # a CSV attached to the form
        self.cards = cards
        self.wake = wake  # the runner's
        self.models = models

    async def form(self, team_id: str, channel_id: str | None) -> dict:
        """The campaign form for a channel (None: App Home's, which picks one first)."""
        default = self.routes.catalogue.default_draft
        if channel_id:
            settings = await self.store.run(channels.get_settings, team_id, channel_id)
            default = settings.default_model or default
        return campaign_modal(channel_id, self.models(), default)

    async def check(self, view: dict, user_id: str, team_id: str) -> CheckedCampaign | dict[str, str]:
        """The campaign a submitted form makes, or its errors by field (every shot's by line)."""
        fields = read_campaign_form(view)
        catalogue = self.routes.catalogue
        brief = Brief(fields.title, fields.model, fields.seconds, fields.aspects, fields.takes)
        errors = check_brief(brief, catalogue)
        if not fields.channel_id:
            errors["channel"] = "Pick the channel the board goes to."
        where = "shots"
        if fields.files and fields.shots.strip():
            errors["file"] = "Give the shots as lines or as a file, not both."
        elif fields.files:
            where = "file"
            try:
                rows = table_lines(await self.inputs.table(fields.files[0]))
            except UserError as exc:
                errors["file"] = exc.message
        elif fields.shots.strip():
            rows = typed_lines(fields.shots)
        else:
            errors["shots"] = "Add the shots, one per line, or attach a CSV file."
        if errors:
            return forms.field_errors(errors, view)
        parsed = parse_campaign(brief, rows, catalogue)
        if isinstance(parsed, list):
            return forms.field_errors({where: _listed(parsed)}, view)
        known = {
            s["name_key"] for s in await self.store.run(subjects_db.list_subjects, team_id, fields.channel_id)
        }
        missing = [
            LineError(s.line, f"no subject {{{name}}} in this channel's library.")
            for s in parsed.shots
            for name in s.request.subjects
            if name not in known
        ]
        if missing:
            return forms.field_errors({where: _listed(missing)}, view)
        origin = Origin(fields.channel_id, user_id, team_id, source_key=f"view:{view['id']}")
        return CheckedCampaign(origin, parsed)

    async def from_mention(self, origin: Origin) -> str | None:
        """`@Dailies campaign` with a CSV/TSV attached: the campaign it describes, with the channel's
        draft model and its defaults where a column is empty; a message when it can't start."""
        tables = [f for f in origin.files if _is_table(f)]
        if not tables:
            return (
                "Attach a CSV or TSV file of shots (a `prompt` column, and optionally `model`, `seconds`, "
                "`aspect`, `image`, `subject`) to `@Dailies campaign`, or use `/video campaign` for the form."
            )
        settings = await self.store.run(channels.get_settings, origin.team_id, origin.channel_id)
        catalogue = self.routes.catalogue
        model = catalogue.get(settings.default_model or catalogue.default_draft)
        if model is None:
            return "The channel's draft model is unknown; set one with `/video settings model ID`."
        name = tables[0].get("name") or "Campaign"
        title = name.rsplit(".", 1)[0] or "Campaign"
        brief = Brief(title, model.id, None, (model.aspects[0] if model.aspects else "16:9",), 1)
        try:
            rows = table_lines(await self.inputs.table(tables[0]))
        except UserError as exc:
            return exc.message
        parsed = parse_campaign(brief, rows, catalogue)
        if isinstance(parsed, list):
            return f"{name}: {_listed(parsed)}"
        return await self.start(CheckedCampaign(origin, parsed))

    async def start(self, checked: CheckedCampaign) -> str | None:
        """Make every shot × aspect's job, store them with the board (one gate decision), post the
        board and wake the runner; a message for the person when nothing could be made."""
        origin, campaign = checked.origin, checked.campaign
        shots: list[tuple[str, tuple[jobs_db.NewJob, ...]]] = []
        problems: list[str] = []
        for shot in campaign.shots:
            jobs: list[jobs_db.NewJob] = []
            for aspect in shot.aspects:
                each = replace(origin, source_key=f"{origin.source_key}:S{shot.number}:{aspect}")
                new = await self.new_video.job_for(each, replace(shot.request, aspect=aspect))
                refused = new if isinstance(new, str) else self.new_video.starter.refusal(new)
                if refused or isinstance(new, str):
                    problems.append(f"line {shot.line} (S{shot.number}): {refused}")
                    break
                jobs.append(new)
            shots.append((shot.request.prompt, tuple(jobs)))
        if problems:
            return "Nothing was started. " + " ".join(problems[:SHOWN_ERRORS])
        brief = campaign.brief
        asked = campaigns_db.NewCampaign(
            origin.team_id, origin.channel_id, origin.user_id, brief.title,
            {"model": brief.model, "seconds": brief.seconds, "aspects": list(brief.aspects), "takes": brief.takes},
            origin.source_key, tuple(shots),
        )  # fmt: skip
        try:
            stored = await self.store.run(campaigns_db.create_campaign, asked, month_start_iso())
        except jobs_db.DuplicateTrigger:
            return None
        try:
            await self.cards.ensure_posted(stored.board_shot_id)
        except Exception as exc:
            error = permanent_slack_error(exc)
            if error is None:
                log.warning("board of campaign %s not posted yet (%s)", stored.campaign_id, exc)
            else:
                await self._fail(stored)
                message = CANT_POST.get(error, f"I can't post in this conversation (Slack said `{error}`).")
                return message + " Nothing was rendered or charged."
        self.wake()
        return None

    async def _fail(self, stored: campaigns_db.StoredCampaign) -> None:
        view = await self.store.run(campaigns_db.campaign_view, stored.campaign_id)
        for shot in view.shots if view else ():
            for job in shot.jobs:
                await self.store.run(
                    jobs_db.set_job_state, job["id"], JobState.FAILED, "board not posted", TakeState.FAILED
                )


def _is_table(file: dict) -> bool:
    name = (file.get("name") or "").lower()
    return name.endswith((".csv", ".tsv")) or (file.get("mimetype") or "") in (
        "text/csv",
        "text/tab-separated-values",
    )


def _listed(errors: list[LineError]) -> str:
    shown = "; ".join(str(e) for e in errors[:SHOWN_ERRORS])
    more = len(errors) - SHOWN_ERRORS
    return shown + (f"; and {more} more" if more > 0 else "") + ". Nothing was started."
