"""What a take's job row says about how its clip was made, handed to the labeller before upload."""

from __future__ import annotations

import asyncio
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bot.delivery.take_context import TakeContext
from bot.media.disclosure import EDITING_KINDS, ClipFacts, SourceClip
from bot.media.provenance import Labelled, Labeller
from storage import jobs as jobs_db
from storage.rows import TakeRow


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
    if job.get("parent_take_id") and job["kind"] in EDITING_KINDS:
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
    )
    # PyAV and the C2PA library block while they stream the file: off the event loop
    return await asyncio.to_thread(labeller.label, path, facts)
