"""The answers to `/video` subcommands about a channel: its jobs, its settings (shown and
changed) and cancelling a job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.cards import text as views
from bot.request.catalogue import DEFAULT_DRAFT_MODEL, get_model
from bot.request.review import may_press, only_pressers
from bot.studio import decisions
from storage import audit, channels
from storage import jobs as jobs_db
from storage.clock import month_start_iso
from storage.states import ENDED

if TYPE_CHECKING:
    from bot.studio.studio import Origin, Studio


async def jobs_text(studio: Studio, origin: Origin) -> str:
    """The channel's recent shots with their jobs and versions."""

    def load(db) -> list[dict]:
        shot_ids = list(dict.fromkeys(j["shot_id"] for j in jobs_db.recent_jobs(db, origin.channel_id, 30)))
        views_ = [jobs_db.shot_view(db, shot_id) for shot_id in shot_ids[:8]]
        return [dict(shot, jobs=jobs, takes=takes) for shot, jobs, takes in views_ if shot and jobs]

    shots = await studio.store.run(load)
    return views.jobs_text(shots, lambda shot: f"(thread {shot['card_ts']})" if shot.get("card_ts") else "")


async def settings_text(studio: Studio, origin: Origin) -> str:
    """The channel's settings and this month's spend."""
    settings = await studio.store.run(channels.get_settings, origin.channel_id)
    spent = await studio.store.run(channels.month_spend, origin.channel_id, month_start_iso())
    return views.settings_text(
        settings,
        default_model=settings.default_model or DEFAULT_DRAFT_MODEL,
        final_model=studio.final_model(settings),
        spent=spent,
    )


async def change_setting(studio: Studio, origin: Origin, key: str, value) -> str:
    """Store one channel setting (models are checked first) and show the settings."""
    if key in ("model", "final-model"):
        model = get_model(str(value))
        if model is None:
            return f"`{value}` is not a model I know; see `/video models`."
        value = model.id
        if key == "final-model":
            backend = studio.backend_for(model.id)
            avail = studio.providers[backend].availability(model.id)
            if not avail.ok:
                return f"`{model.id}` can't run here: {avail.reason}."
    await studio.store.run(channels.set_setting, origin.channel_id, key, value)
    await studio.store.run(audit.record, origin.channel_id, origin.user_id, "settings", f"{key} = {value}")
    return "Saved.\n" + await settings_text(studio, origin)


async def cancel(studio: Studio, origin: Origin, ref: str, reason: str = "cancelled") -> str:
    """Stop a job (its card and thread say so); `reason` is "cancelled" or "rejected"."""
    digits = ref.strip().lstrip("#").upper().removeprefix("J")
    if not digits.isdigit():
        return f"`{ref}` is not a job id; job ids look like J42 (see `/video jobs`)."
    job = await studio.store.run(jobs_db.get_job, int(digits))
    if job is None or job["channel_id"] != origin.channel_id:
        return f"There is no job J{digits} in this channel; see `/video jobs`."
    settings = await studio.store.run(channels.get_settings, origin.channel_id)
    if not may_press(origin.user_id, settings.approvers, job["user_id"]):
        return only_pressers(f"cancel J{digits}")
    if job["state"] in ENDED:
        return f"J{digits} has already {job['state']}."
    await studio.store.run(jobs_db.set_job_state, job["id"], "cancelled", f"by {origin.user_id}", "cancelled")
    await studio.store.run(audit.record, origin.channel_id, origin.user_id, "cancel", reason, job["id"])
    await studio.runner.cancel_job(job["id"])
    await decisions.tell_thread(
        studio, job, f":no_entry_sign: J{digits} was {reason} by <@{origin.user_id}>."
    )
    studio.cards.touch(job["shot_id"])
    return f"Cancelled J{digits}."
