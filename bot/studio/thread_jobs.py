"""Starting the job a thread reply or a card button asks for: pick the version, plan it
(`bot.studio.thread_plan`), make sure the source clip can reach the backend, attach any image, store it."""

from __future__ import annotations

import dataclasses
import random
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from bot.media.check import MediaRejected
from bot.media.fetch import fetch_slack_file
from bot.media.netpolicy import FetchRefused
from bot.outcomes import Refusal
from bot.providers.base import Mode
from bot.request import ThreadInstruction
from bot.request.catalogue import get_model
from bot.request.subject_limits import subject_names
from bot.studio import clip_subject as clipsubject
from bot.studio import thread_plan as threads
from bot.studio.subjects import Unresolved, apply_subjects
from storage import approvals, channels
from storage import jobs as jobs_db

if TYPE_CHECKING:
    from bot.studio.studio import Origin, Studio

VIDEO_LIMIT = 500 * 1024 * 1024


async def start(
    studio: Studio, origin: Origin, shot_id: int, ins: ThreadInstruction, takes: int
) -> str | None:
    """Store and start the job; returns a message for the person when it can't be done."""
    if ins.kind == "save_subject":
        return await clipsubject.save(studio, origin, shot_id, ins)
    _shot, jobs, versions, decisions = await studio.store.run(_load, shot_id)
    by_id = {j["id"]: j for j in jobs}
    if ins.kind == "final":
        settings = await studio.store.run(channels.get_settings, origin.channel_id)
        versions = threads.mark_approved(
            versions, by_id, decisions, settings.approvers, settings.approval_rule
        )
    pick = threads.approved_or_latest if ins.kind == "final" else threads.pick_take
    take = pick(versions, ins.version) if ins.kind == "final" else pick(versions, ins.version, ins.kind)
    if isinstance(take, Refusal):
        return take.message
    job = by_id[take["job_id"]]
    plan = await _plan(studio, origin, ins, takes, take, job)
    if isinstance(plan, Refusal):
        return plan.message
    plan = await _with_subjects(studio, origin, ins, plan)
    if isinstance(plan, str):
        return plan
    if plan.parent_take_id is not None:
        problem = await _ready_source(studio, plan)
        if problem:
            return problem
    request = dict(plan.request)
    image = await _image(studio, origin, ins, plan)
    if isinstance(image, Refusal):
        return image.message
    mode = plan.mode
    if image is not None:
        request["image"] = image
        if mode is Mode.TEXT:
            mode = Mode.IMAGE
        request["mode"] = mode.value
    model = get_model(plan.model)
    seeds = _seeds(plan.takes) if model.seeds else ()
    new = jobs_db.NewJob(
        channel_id=origin.channel_id,
        team_id=origin.team_id,
        user_id=origin.user_id,
        kind=plan.kind,
        model=plan.model,
        backend=plan.backend,
        request=request,
        takes=plan.takes,
        estimate_usd=plan.estimate_usd,
        source_key=origin.source_key or f"thread:{shot_id}:{uuid.uuid4().hex}",
        title=request.get("instruction") or request.get("prompt") or "",
        shot_id=shot_id,
        parent_take_id=plan.parent_take_id,
        seeds=seeds,
    )
    message = await studio._start(new)
    studio.cards.touch(shot_id)
    return message


async def _with_subjects(studio: Studio, origin: Origin, ins, plan: threads.ThreadJob):
    """An edit or extension naming `{subject}`s gets them, checked against the model's limits
    (with the clip, and any attached image) before anything is fetched or sent."""
    names = subject_names(ins.text) if ins.kind in ("edit", "extend") else ()
    if not names:
        return plan
    images = any((f.get("mimetype") or "").startswith("image/") for f in origin.files)
    model = get_model(plan.model)
    try:
        subjects = await studio.library.resolve(
            origin.channel_id, names, model, extra_images=int(images or bool(ins.image_url)),
            with_video=plan.parent_take_id is not None,
        )  # fmt: skip
    except Unresolved as exc:
        return exc.message
    return dataclasses.replace(plan, request=apply_subjects(plan.request, subjects, model))


def _load(db, shot_id: int):
    return (*jobs_db.shot_view(db, shot_id), approvals.latest_for_shot(db, shot_id))


async def _plan(studio: Studio, origin: Origin, ins, takes: int, take: dict, job: dict):
    route = studio.backend_for

    def available(backend: str, model: str, mode: Mode):
        return studio.providers[backend].availability(model, mode)

    if ins.kind in ("edit", "extend"):
        source = dict(take, model=job["model"], backend=job["backend"])
        chosen = threads.edit_model(ins.kind, ins.model, source, route, available)
        if isinstance(chosen, Refusal):
            return chosen
        problem = threads.source_problem(chosen[1], source, datetime.now(UTC))
        if problem:
            return Refusal(problem)
        return threads.plan_change(ins, takes, source, job, chosen)
    if ins.kind == "final" and not ins.model:
        settings = await studio.store.run(channels.get_settings, origin.channel_id)
        model_id = studio.final_model(settings)
    else:
        wanted = get_model(ins.model) if ins.model else None
        model_id = wanted.id if wanted else (ins.model or job["model"])
    plan = threads.plan_repeat(ins.kind, takes, take, job, model_id, route, ins)
    if isinstance(plan, Refusal):
        return plan
    availability = available(plan.backend, plan.model, plan.mode)
    if not availability.ok:
        hint = f" Try `--model {availability.suggestion}`." if availability.suggestion else ""
        return Refusal(f"`{plan.model}` can't run here: {availability.reason}.{hint}")
    return plan


async def _ready_source(studio: Studio, plan: threads.ThreadJob) -> str | None:
    """Make the source clip reachable by the plan's backend: its own URL or id while valid,
    else our copy of the clip, downloaded again from Slack when it was deleted after upload."""
    source = plan.source
    if source is None:
        row = await studio.store.run(jobs_db.get_take, plan.parent_take_id)
        parent = await studio.store.run(jobs_db.get_job, row["job_id"]) if row else None
        if row is None or parent is None:
            return "The clip this version was made from no longer exists, so it can't be re-rendered."
        source = dict(row, model=parent["model"], backend=parent["backend"])
        problem = threads.source_problem(plan.backend, source, datetime.now(UTC))
        if problem:
            return problem
    if plan.backend in ("openai", "kling"):
        return None  # those take the backend's own id / URL, checked by source_problem
    if source.get("result_url") and not threads.result_url_valid(
        source, source["backend"], datetime.now(UTC)
    ):
        await studio.store.run(jobs_db.set_source_media, source["id"], result_url=None)
    elif source.get("result_url") and plan.backend == "aimlapi":
        return None
    path = source.get("media_path")
    if path and Path(path).is_file():
        return None
    return await _from_slack(studio, source)


async def _from_slack(studio: Studio, source: dict) -> str | None:
    version = f"v{source['version']}"
    if not source.get("slack_file_id"):
        return f"{version} was never delivered to Slack, so there is no clip to work on."
    try:
        info = await studio.runner.slack.files_info(file=source["slack_file_id"])
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown error")
        return f"I couldn't get {version} back from Slack ({error}); was the file deleted?"
    dest_dir = Path(studio.config.media_dir) / "sources"
    dest_dir.mkdir(parents=True, exist_ok=True)
    try:
        fetched = await fetch_slack_file(
            info["file"],
            dest_dir / f"take{source['id']}.mp4",
            token=studio.config.slack_bot_token,
            kind="video",
            max_bytes=VIDEO_LIMIT,
            allowed_hosts=studio.slack_file_hosts,
            extra_allowed_hosts=studio.slack_file_hosts,
        )
    except FetchRefused as exc:
        return f"I couldn't get {version} back from Slack: {exc.message}"
    await studio.store.run(jobs_db.set_source_media, source["id"], media_path=str(fetched.path))
    return None


async def _image(studio: Studio, origin: Origin, ins, plan: threads.ThreadJob) -> dict | None | Refusal:
    """An image attached to the reply (or `--image URL`): first frame, or a reference for an edit."""
    files = [f for f in origin.files if (f.get("mimetype") or "").startswith("image/")]
    if not files and not ins.image_url:
        return None
    model = get_model(plan.model)
    if plan.backend == "openai" and plan.mode in (Mode.EDIT, Mode.EXTEND):
        return Refusal("Sora edits take no reference image; drop the image or add `--model kling-o1`.")
    if "image" not in model.inputs:
        return Refusal(f"{model.id} can't use an image; drop the attachment or pick another model.")
    try:
        return await studio._fetch_image(ins.image_url, files[0] if files else None)
    except (FetchRefused, MediaRejected) as exc:
        return Refusal(exc.message)


def _seeds(takes: int) -> tuple[int, ...]:
    base = random.randrange(1, 2**31 - 1 - takes)
    return tuple(base + i for i in range(takes))
