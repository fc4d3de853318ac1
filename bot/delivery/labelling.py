"""What a take's job row says about how its clip was made, handed to the labeller before upload."""

from __future__ import annotations

import asyncio
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bot.delivery.take_context import TakeContext
from bot.media.disclosure import EDITING_KINDS, ClipFacts, SourceClip
from bot.media.provenance import Labelled, Labeller
from storage import jobs as jobs_db
from storage.rows import JobRow, TakeRow


def _version() -> str:
    try:
        return version("dailies")
    except PackageNotFoundError:
        return ""


VERSION = _version()


async def label_clip(labeller: Labeller, ctx: TakeContext, take: TakeRow, path: Path, title: str) -> Labelled:
    """The clip to upload: tagged (and signed, when configured) from what the job row says."""
    job = ctx.job
    source = None
    pieces, files = await _pieces(ctx, job)
    if not pieces and job.get("parent_take_id") and job["kind"] in EDITING_KINDS:
        row = await ctx.store.run(jobs_db.source_take, job["parent_take_id"])
        if row:
            source = SourceClip(take_id=row["id"], version=row["version"], model=row["model"])
    facts = ClipFacts(
        model=job["model"],
        provider=job["backend"],
        kind=job["kind"],
        title=title,
        source=source,
        version=VERSION,
        pieces=pieces,
    )
    # PyAV and the C2PA library block while they stream the file: off the event loop
    return await asyncio.to_thread(labeller.label, path, facts, files)


async def _pieces(ctx: TakeContext, job: JobRow) -> tuple[tuple[SourceClip, ...], tuple[Path | None, ...]]:
    """A cut's pieces in sequence order, with the clip each was assembled from where it is still on
    disk (its manifest, if it carries one, is kept in the cut's); nothing for other jobs."""
    if job["kind"] != "cut":
        return (), ()
    cut = (await ctx.store.run(jobs_db.get_job, job["id"]) or job)["request"].get("cut") or {}
    pieces, files = [], []
    for p in cut.get("pieces") or ():
        row = await ctx.store.run(jobs_db.source_take, p["take_id"]) or {}
        pieces.append(
            SourceClip(p["take_id"], p["version"], p.get("model") or row.get("model", ""), p["shot"])
        )
        file = p.get("file") or row.get("media_path")
        files.append(Path(file) if file else None)
    return tuple(pieces), tuple(files)
