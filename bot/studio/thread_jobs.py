"""Starting the job a thread reply or a card button asks for: pick the version, plan it
(`bot.studio.thread_plan`), make sure the source clip can reach the backend, attach any image, store it."""

from __future__ import annotations

import dataclasses
import random
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bot.cards.publisher import CardPublisher
from bot.delivery.fetch_back import FetchBack, result_url_valid
from bot.outcomes import Refusal, UserError
from bot.providers.base import Mode, SourceInput
from bot.request import ThreadInstruction, parse_reply
from bot.request.campaign import ASPECTS, campaign_reply
from bot.request.cut import parse_cut
from bot.request.subject_limits import subject_names
from bot.studio import thread_plan
from bot.studio.clip_subject import ClipSubjects
from bot.studio.cuts import IN_A_JOB_THREAD, Cuts
from bot.studio.intake import Intake
from bot.studio.intent_reader import IntentReader
from bot.studio.lipsync import LipSyncs
from bot.studio.origin import Origin
from bot.studio.subjects import Unresolved, apply_subjects
from storage import approvals, channels
from storage import campaigns as campaigns_db
from storage import jobs as jobs_db
from storage.rows import JobRow, TakeRow

NOTHING_APPROVED = (
    "No shot has an approved version yet: approve one (react :white_check_mark: on its clip) first."
)


class ThreadJobs:
    def __init__(
        self,
        intake: Intake,
        fetch_back: FetchBack,
        cards: CardPublisher,
        clip_subjects: ClipSubjects,
        lip_syncs: LipSyncs | None = None,
        intent: IntentReader | None = None,
        cuts: Cuts | None = None,
    ) -> None:
        self.store = intake.store
        self.routes = intake.routes
        self.library = intake.library
        self.inputs = intake.inputs
        self.fetch_back = fetch_back
        self.starter = intake.starter
        self.cards = cards
        self.clip_subjects = clip_subjects
        self.lip_syncs = lip_syncs
        self.intent = intent  # DAILIES_INTENT_MODEL: reads what the rules take for a plain edit
        self.cuts = cuts  # `cut` in a board's thread

    async def in_job_thread(self, team_id: str, channel_id: str, thread_ts: str) -> bool:
        return await self.store.run(jobs_db.shot_by_card, team_id, channel_id, thread_ts) is not None

    async def reply(
        self, origin: Origin, thread_ts: str, text: str, files: tuple[dict, ...] = ()
    ) -> str | None:
        """A person's reply in a thread: an edit, `again`, `extend …`, `final`, `save as subject`.
        None when the thread is not a job's (ignored) or the job started; otherwise a message."""
        campaign_id = await self.store.run(
            campaigns_db.campaign_in_thread, origin.team_id, origin.channel_id, thread_ts
        )
        cut = parse_cut(text)  # `cut to a close-up` is no cut (None): it stays an edit
        if campaign_id is not None:
            if cut is not None and self.cuts is not None:
                return (
                    cut.message
                    if isinstance(cut, Refusal)
                    else await self.cuts.start(origin, campaign_id, cut)
                )
            return await self._on_board(replace(origin, files=tuple(files)), campaign_id, text)
        shot = await self.store.run(jobs_db.shot_by_card, origin.team_id, origin.channel_id, thread_ts)
        if shot is None:
            return None
        if cut is not None:
            return cut.message if isinstance(cut, Refusal) else IN_A_JOB_THREAD
        instruction = parse_reply(text, catalogue=self.routes.catalogue)
        if isinstance(instruction, Refusal):
            return instruction.message
        origin = replace(origin, files=tuple(files))
        if self.intent is not None and _plain_edit(instruction):
            instruction = await self._model_reading(origin, shot["id"], instruction)
        return await self.start(origin, shot["id"], instruction, instruction.takes)

    async def _model_reading(
        self, origin: Origin, shot_id: int, rules: ThreadInstruction
    ) -> ThreadInstruction:
        """The language model's plan for a reply the rules read as a plain edit, when it passes the
        same checks as any reply; otherwise (logged) the rules' edit."""
        assert self.intent is not None

        async def check(plan: ThreadInstruction) -> str | None:
            checked = await self.plan(origin, shot_id, plan)
            return checked if isinstance(checked, str) else None

        read = await self.intent.read(origin, rules.text, rules.version, check)
        return rules if read is None else read

    async def _on_board(self, origin: Origin, campaign_id: int, text: str) -> str | None:
        """A reply in a campaign board's thread: `S3: …` works on that shot as a reply in its own
        thread would; `final` renders every shot's approved version on the final model."""
        said = campaign_reply(text)
        if isinstance(said, Refusal):
            return said.message
        number, rest = said
        if number is None and rest.startswith("for "):
            return await self.every_aspect(origin, campaign_id, rest.split()[1:])
        if number is None:
            return await self.final_of_campaign(origin, campaign_id)
        shot_id = await self.store.run(campaigns_db.shot_number, campaign_id, number)
        if shot_id is None:
            return f"This campaign has no S{number}."
        instruction = parse_reply(rest, catalogue=self.routes.catalogue)
        if isinstance(instruction, Refusal):
            return instruction.message
        return await self.start(origin, shot_id, instruction, instruction.takes)

    async def final_of_campaign(self, origin: Origin, campaign_id: int) -> str | None:
        """`final` on a board: every shot's approved version on the final model, estimated and
        gated as one batch (all start, or all wait for one approval on the board); the reply lists
        the shots without an approved version and any that can't be rendered."""
        view = await self.store.run(campaigns_db.campaign_view, campaign_id)
        if view is None or view.campaign["channel_id"] != origin.channel_id:
            return "That campaign is not in this channel."
        news: list[tuple[str, jobs_db.NewJob]] = []
        unapproved, problems = [], []
        for shot in view.shots:
            approved = [t for t in shot.takes if t.get("approved_at")]
            if not approved:
                unapproved.append(f"S{shot.number}")
                continue
            ins = ThreadInstruction("final", version=approved[-1]["version"])
            each = replace(origin, source_key=f"{origin.source_key}:S{shot.number}")
            new = await self._batch_job(
                each, shot.shot["id"], ins, "a lip-sync has no final render of its own."
            )
            if isinstance(new, str):
                problems.append(f"S{shot.number}: {new}")
            else:
                news.append((f"S{shot.number}", new))
        told = list(problems)
        if unapproved:
            told.append(
                f"No approved version of {', '.join(unapproved)}, so no final of "
                f"{'it' if len(unapproved) == 1 else 'them'}: approve one (react :white_check_mark: on its "
                f"clip), then reply `final` again or `{unapproved[0]} final`."
            )
        if not news:
            if not unapproved:
                return "\n".join(told) or None
            if len(unapproved) == len(view.shots):
                return NOTHING_APPROVED
            return "\n".join(told)
        what = f"the final of {', '.join(n for n, _ in news)}"
        return await self._start_batch(origin, view.board["id"], news, what, "waits", told)

    async def every_aspect(self, origin: Origin, campaign_id: int, aspects: list[str] | None) -> str | None:
        """`for 9:16 1:1`: each shot's approved version again at each aspect (same prompt, model
        and seed), as new versions of that shot; `aspects` None (the board's Every aspect button):
        at each aspect the version was not rendered at. Estimated and gated as one batch, as `final`."""
        view = await self.store.run(campaigns_db.campaign_view, campaign_id)
        if view is None or view.campaign["channel_id"] != origin.channel_id:
            return "That campaign is not in this channel."
        news: list[tuple[str, jobs_db.NewJob]] = []
        problems = []
        for shot in view.shots:
            approved = [t for t in shot.takes if t.get("approved_at")]
            if not approved:
                continue
            version = approved[-1]["version"]
            own = next(
                (j["request"].get("aspect") for j in shot.jobs if j["id"] == approved[-1]["job_id"]), None
            )
            for aspect in aspects if aspects is not None else [a for a in ASPECTS if a != own]:
                each = replace(origin, source_key=f"{origin.source_key}:S{shot.number}:{aspect}")
                ins = ThreadInstruction(
                    "again", version=version, aspect=aspect, reading=f"re-render at {aspect}", same_seed=True
                )
                new = await self._batch_job(
                    each, shot.shot["id"], ins, "a lip-sync is made at its clip's aspect."
                )
                if isinstance(new, str):
                    problems.append(f"S{shot.number} v{version} at {aspect}: {new}")
                else:
                    news.append((f"S{shot.number} at {aspect}", new))
        if not news:
            return "\n".join(problems) or NOTHING_APPROVED
        what = f"the renders of {', '.join(n for n, _ in news)}"
        return await self._start_batch(origin, view.board["id"], news, what, "wait", problems)

    async def _batch_job(
        self, origin: Origin, shot_id: int, ins: ThreadInstruction, lipsync: str
    ) -> jobs_db.NewJob | str:
        """The job `ins` makes on one shot of a batch, checked as `start` would check it, or why not
        (`lipsync`: what to say when the version is a lip-sync's)."""
        plan = await self._prepare(origin, shot_id, ins, 1)
        if isinstance(plan, dict):  # a lip-sync's take: not rendered again in a batch
            return lipsync
        new = plan if isinstance(plan, str) else await self._job_of(origin, shot_id, ins, plan)
        if isinstance(new, str):
            return new
        return await self.starter.refused(new) or new

    async def _start_batch(
        self,
        origin: Origin,
        board_id: int,
        news: list[tuple[str, jobs_db.NewJob]],
        what: str,
        verb: str,
        told: list[str],
    ) -> str | None:
        """Store a campaign's batch on one gate decision (`Starter.start_together`); the reply says
        when it waits for one approval on the board, then `told`."""
        gated = await self.starter.start_together([n for _, n in news], what)
        self.cards.touch(board_id)
        if gated is None:  # Slack sent this reply again: answered the first time
            return None
        if gated.decision is not None and not gated.decision.start:
            settings = await self.store.run(channels.get_settings, origin.team_id, origin.channel_id)
            who = ", ".join(f"<@{u}>" for u in settings.approvers) or "Anyone in the channel"
            told = [
                f":raised_hand: {what[0].upper()}{what[1:]} {verb} for one approval: {gated.decision.reason}. "
                f"{who} can react :white_check_mark: on the board to start all of them, :x: to cancel them.",
                *told,
            ]
        return "\n".join(told) or None

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
        return await self.start(origin, shot["id"], ThreadInstruction(kind, version=take["version"]), 1)

    async def start(self, origin: Origin, shot_id: int, ins: ThreadInstruction, takes: int) -> str | None:
        """Store and start the job; returns a message for the person when it can't be done."""
        if ins.kind == "save_subject":
            return await self.clip_subjects.save(origin, shot_id, ins)
        if ins.kind == "lipsync":
            if self.lip_syncs is None:
                return "Lip-sync is not available in this Dailies."
            return await self.lip_syncs.start(origin, shot_id, ins)
        plan = await self._prepare(origin, shot_id, ins, takes)
        if isinstance(plan, str):
            return plan
        if isinstance(plan, dict):  # another take of a lip-sync: its own feature
            if self.lip_syncs is None:  # _prepare hands back the job only when lip-sync is set up
                return "Lip-sync is not available in this Dailies."
            return await self.lip_syncs.again(origin, shot_id, plan)
        new = await self._job_of(origin, shot_id, ins, plan)
        if isinstance(new, str):
            return new
        message = await self.starter.start(new)
        self.cards.touch(shot_id)
        return message

    async def _job_of(
        self, origin: Origin, shot_id: int, ins: ThreadInstruction, plan: thread_plan.ThreadJob
    ) -> jobs_db.NewJob | str:
        """The job `plan` makes (its source clip made reachable, any image attached), or why not."""
        if plan.parent_take_id is not None:
            problem = await self._ready_source(plan)
            if problem:
                return problem
        request = dict(plan.request)
        image = await self._image(origin, ins, plan)
        if isinstance(image, Refusal):
            return image.message
        mode = plan.mode
        if image is not None:
            request["image"] = image
            if mode is Mode.TEXT:
                mode = Mode.IMAGE
            request["mode"] = mode.value
        model = self.routes.catalogue[plan.model]
        seeds = (plan.seeds or _seeds(plan.takes)) if model.seeds else ()
        return origin.new_job(
            plan.kind, plan.model, plan.backend, request,
            estimate_usd=plan.estimate_usd, title=request.get("instruction") or request.get("prompt") or "",
            takes=plan.takes, shot_id=shot_id, parent_take_id=plan.parent_take_id, seeds=seeds,
        )  # fmt: skip

    async def plan(self, origin: Origin, shot_id: int, ins: ThreadInstruction) -> thread_plan.ThreadJob | str:
        """What `ins` would start on this shot, with its estimate, without starting it (an offer's
        price); a message when it can't be done or isn't a render of a version."""
        if ins.kind in ("save_subject", "lipsync"):
            return "That is not a render of a version."
        plan = await self._prepare(origin, shot_id, ins, ins.takes)
        return "That is a lip-sync's take." if isinstance(plan, dict) else plan

    async def _prepare(
        self, origin: Origin, shot_id: int, ins: ThreadInstruction, takes: int
    ) -> thread_plan.ThreadJob | JobRow | str:
        """The plan for `ins` on the version it names: a ThreadJob, a message when it can't be done,
        or the lip-sync job whose take `again` asks for again."""
        _shot, jobs, versions, decisions = await self.store.run(approvals.shot_with_decisions, shot_id)
        by_id = {j["id"]: j for j in jobs}
        if ins.kind == "final":
            settings = await self.store.run(channels.get_settings, origin.team_id, origin.channel_id)
            marked = thread_plan.mark_approved(
                versions, by_id, decisions, settings.approvers, settings.approval_rule
            )
            take = thread_plan.approved_or_latest(marked, ins.version)
        else:
            take = thread_plan.pick_take(versions, ins.version, ins.kind)
        if isinstance(take, Refusal):
            return take.message
        job = by_id[take["job_id"]]
        if job["kind"] == "lipsync" and ins.kind != "edit" and ins.kind != "extend":
            if ins.kind == "final" or self.lip_syncs is None:
                parent = job["request"].get("parent_version")
                return (
                    f"v{take['version']} is a lip-sync of v{parent}: render the final of v{parent} "
                    f"(`v{parent}: final`), then reply `lipsync …` on the final."
                )
            return job
        plan = await self._plan(origin, ins, takes, take, job)
        if isinstance(plan, Refusal):
            return plan.message
        if ins.same_seed and take.get("seed") is not None:
            plan = dataclasses.replace(plan, seeds=(take["seed"],))
        return await self._with_subjects(origin, ins, plan)

    async def _with_subjects(
        self, origin: Origin, ins: ThreadInstruction, plan: thread_plan.ThreadJob
    ) -> thread_plan.ThreadJob | str:
        """An edit or extension naming `{subject}`s gets them, checked against the model's limits
        (with the clip, and any attached image) before anything is fetched or sent."""
        names = subject_names(ins.text) if ins.kind in ("edit", "extend") else ()
        if not names:
            return plan
        images = bool(origin.images)
        model = self.routes.catalogue[plan.model]
        try:
            subjects = await self.library.resolve(
                origin.team_id, origin.channel_id, names, model, extra_images=int(images or bool(ins.image_url)),
                with_video=plan.parent_take_id is not None,
            )  # fmt: skip
        except Unresolved as exc:
            return exc.message
        return dataclasses.replace(plan, request=apply_subjects(plan.request, subjects, model))

    async def _plan(
        self, origin: Origin, ins: ThreadInstruction, takes: int, take: TakeRow, job: JobRow
    ) -> thread_plan.ThreadJob | Refusal:
        routes = self.routes
        if ins.kind in ("edit", "extend"):
            source = dict(take, model=job["model"], backend=job["backend"])
            chosen = thread_plan.edit_model(
                ins.kind,
                ins.model,
                source,
                routes.backend_for,
                routes.availability,
                catalogue=routes.catalogue,
            )
            if isinstance(chosen, Refusal):
                return chosen
            provider = routes.provider(chosen[1])
            takes_source = provider.source_input_for(chosen[0])
            problem = thread_plan.source_problem(
                chosen[1], takes_source, source, self._url_seconds(source), datetime.now(UTC)
            )
            if problem:
                return Refusal(problem)
            plan = thread_plan.plan_change(
                ins, takes, source, job, chosen, free=provider.free, whole_seconds=provider.whole_seconds,
                catalogue=routes.catalogue,
            )  # fmt: skip
            if takes_source is SourceInput.CONVERSATION and not isinstance(plan, Refusal):
                plan = thread_plan.continue_or_from_clip(
                    plan, provider.label or chosen[1], provider.continuation_seconds, datetime.now(UTC)
                )
            return plan
        why = ""
        if ins.kind == "final" and not ins.model:
            settings = await self.store.run(channels.get_settings, origin.team_id, origin.channel_id)
            model_id, why = routes.final_choice(settings)
        else:
            wanted = routes.catalogue.get(ins.model) if ins.model else None
            model_id = wanted.id if wanted else (ins.model or job["model"])
        plan = thread_plan.plan_repeat(
            ins.kind, takes, take, job, model_id, routes.backend_for, ins,
            lambda backend: routes.provider(backend).free, catalogue=routes.catalogue,
        )  # fmt: skip
        if isinstance(plan, Refusal):
            return plan
        if why:  # the card says which model the final render used, and why not the ones before it
            plan.request["read_as"] = f"on {plan.model}: {why}"
        availability = routes.availability(plan.backend, plan.model, plan.mode)
        if not availability.ok:
            hint = f" Try `--model {availability.suggestion}`." if availability.suggestion else ""
            return Refusal(f"`{plan.model}` can't run here: {availability.reason}.{hint}")
        return plan

    async def _ready_source(self, plan: thread_plan.ThreadJob) -> str | None:
        """Make the source clip reachable by the plan's backend: its own URL or id while valid,
        else our copy of the clip, downloaded again from Slack when it was deleted after upload."""
        source = plan.source
        takes = self.routes.provider(plan.backend).source_input_for(plan.model)
        if source is None:
            row = await self.store.run(jobs_db.get_take, plan.parent_take_id)
            parent = await self.store.run(jobs_db.get_job, row["job_id"]) if row else None
            if row is None or parent is None:
                return "The clip this version was made from no longer exists, so it can't be re-rendered."
            source = dict(row, model=parent["model"], backend=parent["backend"])
            problem = thread_plan.source_problem(
                plan.backend, takes, source, self._url_seconds(source), datetime.now(UTC)
            )
            if problem:
                return problem
        if takes in (SourceInput.OWN_TASK, SourceInput.URL):
            return None  # the backend's own id / a URL, checked by source_problem
        if takes is SourceInput.CONVERSATION:
            pass  # our copy is what it falls back to when the conversation has expired
        elif source.get("result_url") and not result_url_valid(
            source, self._url_seconds(source), datetime.now(UTC)
        ):
            await self.store.run(jobs_db.set_source_media, source["id"], result_url=None)
        elif source.get("result_url") and takes is SourceInput.URL_OR_FILE:
            return None
        path = source.get("media_path")
        if path and Path(path).is_file():
            return None
        fetched = await self.fetch_back.clip(source)
        if isinstance(fetched, str) and takes is SourceInput.CONVERSATION:
            # continuing the conversation needs no copy; only the fallback from the clip does
            return None if source.get("interaction_id") and not plan.request.get("from_clip") else fetched
        return fetched if isinstance(fetched, str) else None

    def _url_seconds(self, source: dict) -> float | None:
        """How long the backend that made `source` keeps it at its result URL (None: unknown here)."""
        made_by = self.routes.providers.get(source["backend"])
        return made_by.result_url_seconds if made_by else None

    async def _image(self, origin: Origin, ins, plan: thread_plan.ThreadJob) -> dict | None | Refusal:
        """An image attached to the reply (or `--image URL`): first frame, or a reference for an edit."""
        files = origin.images
        if not files and not ins.image_url:
            return None
        model = self.routes.catalogue[plan.model]
        provider = self.routes.provider(plan.backend)
        if not provider.edits_take_images and plan.mode in (Mode.EDIT, Mode.EXTEND):
            return Refusal(
                f"{plan.model} on {provider.label or plan.backend} takes no reference image when it "
                f"works on a clip; drop the image or add `--model kling-o1`."
            )
        if "image" not in model.inputs:
            return Refusal(f"{model.id} can't use an image; drop the attachment or pick another model.")
        try:
            return await self.inputs.image(ins.image_url, files[0] if files else None)
        except UserError as exc:
            return Refusal(exc.message)


def _plain_edit(ins: ThreadInstruction) -> bool:
    """An edit in words alone (no flags): what the language model may read better than the rules."""
    return (
        ins.kind == "edit"
        and ins.takes == 1
        and not any((ins.model, ins.seconds, ins.audio is not None, ins.image_url, ins.reading))
    )


def _seeds(takes: int) -> tuple[int, ...]:
    base = random.randrange(1, 2**31 - 1 - takes)
    return tuple(base + i for i in range(takes))
