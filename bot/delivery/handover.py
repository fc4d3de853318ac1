"""Handing a take over to Slack: the clip's upload into the job's thread (resuming an interrupted
one), and the delivered/failed bookkeeping with its thread message."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.blocks import caption
from bot.delivery import upload
from bot.delivery.contact_sheets import ContactSheets
from bot.delivery.labelling import label_clip
from bot.delivery.take_context import TakeContext
from bot.media.disclosure import UNSIGNED
from bot.media.provenance import Labelled, Labeller
from bot.outcomes import TakeEnded, TakeFailed
from bot.slack.clients import single_attempt, until_slack_answers
from storage import approvals
from storage import jobs as jobs_db
from storage.rows import JobRow, TakeRow
from storage.states import TakeState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Presented:
    """How a clip that is not a provider's render is shown (a campaign's cut): its upload title,
    its caption, and files already uploaded to share in the same message (its edit lists)."""

    title: str
    caption: str
    attached: tuple[dict, ...] = ()  # {"id", "title"} of each, from `upload_attachments`


class Handover:
    def __init__(
        self,
        slack: AsyncWebClient,
        http: httpx.AsyncClient,
        *,
        keep_media: bool,
        job_ended: Callable[[int], Awaitable[None]] | None = None,
        labeller: Labeller | None = None,
        sheets: ContactSheets | None = None,
    ) -> None:
        self.slack = slack
        self.http = http
        self.keep_media = keep_media
        self.labeller = labeller or Labeller()  # every clip is labelled AI-generated; signed when configured
        # told each time a take ends, with its job's id (a Workflow Builder step completes then)
        self.job_ended = job_ended
        self.sheets = sheets  # a campaign's contact sheet, once every shot has a clip

    async def deliver(self, ctx: TakeContext, take: TakeRow, presented: Presented | None = None) -> None:
        """Upload the downloaded clip into the shot's thread, captioned (as `presented` says, for a
        clip that is not a render), then mark the take delivered."""
        job = ctx.job
        shot = await ctx.shot()
        thread_ts = await ctx.cards.ensure_posted(job["shot_id"])
        if not take["media_path"]:
            raise TakeFailed("The rendered clip was lost before it could be uploaded; ask for another take.")
        path = Path(take["media_path"])
        title = presented.title if presented else f"{job['model']} v{take['version']}"
        # labelled first, even when resuming an upload: the caption says whether the clip is signed
        labelled = await label_clip(self.labeller, ctx, take, path, f"{title}.mp4") if path.exists() else None
        unsigned = bool(labelled and labelled.unsigned)
        comment = (
            presented.caption + (f" · {UNSIGNED}" if unsigned else "")
            if presented
            else caption(
                model=job["model"],
                seconds=take["seconds"],
                cost=take["cost_usd"],
                job_id=job["id"],
                take=take,
                extra=_reproduce_line(job),
                shots=job["request"].get("shots", ()),
                unsigned=unsigned,
                shot=f"S{shot['campaign_shot']} " if shot.get("campaign_shot") else "",
            )
        )
        if self.sheets is not None and shot.get("campaign_shot") and path.exists():
            await self.sheets.keep_frame(take["id"], path)

        def complete(file_id: str):
            return upload.complete_upload(
                self.slack,
                file_id,
                title=title,
                channel_id=shot["channel_id"],
                thread_ts=thread_ts,
                comment=comment,
                also=presented.attached if presented else (),
            )

        started = take.get("upload_file_id")
        if started:
            # resumed after a crash between the upload and its completion: finish that upload
            try:
                await complete(started)
                return await self.delivered(ctx, started, path, labelled)
            except Exception:
                log.info("resuming take %s: the earlier upload is gone; uploading again", take["id"])
        if labelled is None:
            raise TakeFailed("The rendered clip was lost before it could be uploaded; ask for another take.")
        clip = labelled.path
        try:
            file_id = await self._upload(clip, f"{title}.mp4".replace(" ", "-"))
            await ctx.store.run(jobs_db.update_take, take["id"], None, "", upload_file_id=file_id)
            await complete(file_id)
        except BaseException:
            _drop_copy(labelled, path)
            raise
        await self.delivered(ctx, file_id, path, labelled)

    async def _upload(self, path: Path, filename: str) -> str:
        """Slack's first two upload steps (the file is not shared yet); returns its file id."""
        # 429s wait in the budget; 5xx answers and Slack being unreachable are waited out here
        once = single_attempt(self.slack)
        file_id, url = await until_slack_answers(
            lambda: upload.start_upload(once, path, filename), "files.getUploadURLExternal"
        )
        await until_slack_answers(
            lambda: upload.send_bytes(self.http, url, path), f"the upload of {filename}"
        )
        return file_id

    async def upload_attachments(self, paths: Sequence[Path]) -> tuple[dict, ...]:
        """Upload files to share later in a clip's own message (`Presented.attached`), unshared
        until then, so a delivery resumed after a crash still posts them once, with the clip."""
        uploaded = []
        for path in paths:
            uploaded.append({"id": await self._upload(path, path.name), "title": path.name})
        return tuple(uploaded)

    async def delivered(
        self, ctx: TakeContext, file_id: str, path: Path, labelled: Labelled | None = None
    ) -> None:
        """Record the delivery and drop the local copy unless the config keeps media (then the
        kept copy is the labelled clip that was delivered)."""
        await ctx.update(TakeState.DELIVERED, slack_file_id=file_id, status_note=None)
        await self._index_clip_message(ctx, file_id)
        if labelled is not None and labelled.path != path:
            if self.keep_media:
                labelled.path.replace(path)
            else:
                labelled.path.unlink(missing_ok=True)
        if not self.keep_media:
            path.unlink(missing_ok=True)
        ctx.touch()  # once more after the clean-up: an edit in flight may have shown the state before
        await self._ended(ctx)

    async def _index_clip_message(self, ctx: TakeContext, file_id: str) -> None:
        """Remember where the clip's message is (files.info shares, Tier 4), so that a reaction on it
        resolves without conversations.replies (one call a minute for a distributed app)."""
        shot = await ctx.shot()
        ts = await upload.shared_message_ts(self.slack, file_id, shot["channel_id"])
        if ts:
            await ctx.store.run(
                approvals.index_message,
                shot["team_id"] or "",
                shot["channel_id"],
                ts,
                shot["id"],
                ctx.take_id,
            )

    async def fail(self, ctx: TakeContext, message: str) -> None:
        """Mark the take failed (free) and say why in its thread; a take that already ended stays so."""
        try:
            await ctx.update(TakeState.FAILED, error=message[:500], cost_usd=0.0)
        except TakeEnded:
            return ctx.touch()
        shot = await ctx.shot()
        take = await ctx.take_now()
        if shot.get("card_ts"):
            try:
                await self.slack.chat_postMessage(
                    channel=shot["channel_id"],
                    thread_ts=shot["card_ts"],
                    text=f":x: v{take['version']} failed: {message}",
                )
            except Exception:
                log.exception("could not tell the thread that take %s failed", ctx.take_id)
        ctx.touch()
        await self._ended(ctx)

    async def _ended(self, ctx: TakeContext) -> None:
        if self.sheets is not None:
            try:
                await self.sheets.after(ctx.job["shot_id"])
            except Exception:  # the clip stands; the next take's end tries the sheet again
                log.exception("the contact sheet after take %s was not posted", ctx.take_id)
        if self.job_ended is None:
            return
        try:
            await self.job_ended(ctx.job["id"])
        except Exception:  # the take's own bookkeeping stands; a start-up sweep tries again
            log.exception("could not settle what waits for job %s", ctx.job["id"])


def _drop_copy(labelled: Labelled, path: Path) -> None:
    """The labelled copy is made again from the provider's clip when the delivery is retried."""
    if labelled.path != path:
        labelled.path.unlink(missing_ok=True)


def _reproduce_line(job: JobRow) -> str:
    req = job["request"]
    what = req.get("instruction") or req.get("prompt") or req.get("script") or ""
    what = what.replace("\n", " ")
    kind = job["kind"]
    if req.get("parent_version"):  # an edit or extension names the version it worked on
        kind += f" of v{req['parent_version']}"
    return f"_{kind}:_ {what[:300]}" if what else ""
