"""A campaign's cut carried from queued to delivered: every piece's clip fetched back, the sequence
assembled off the event loop (its progress on the board, stopped when the job is cancelled) with
its edit lists, then handed over like any clip, once, resumed from the start after a restart."""

from __future__ import annotations

import asyncio
import logging
import shutil
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.delivery.fetch_back import VIDEO_LIMIT, FetchBack, result_url_valid
from bot.delivery.handover import Handover, Presented
from bot.delivery.take_context import TakeContext
from bot.media.assemble import Assembled, AssemblyStopped, Piece, assemble
from bot.media.disclosure import disclosure
from bot.media.edit_list import ShotSource, write_edit_lists
from bot.media.fetch import fetch_url
from bot.media.netpolicy import FetchRefused
from bot.outcomes import TakeEnded, TakeFailed
from bot.request.cut import Planned, cut_caption
from bot.request.money import usd
from storage import cuts as cuts_db
from storage import jobs as jobs_db
from storage.rows import TakeRow
from storage.states import TakeState

log = logging.getLogger(__name__)
PROGRESS_SECONDS = 1.0  # how often the assembly's progress is stored (the card is throttled anyway)


class Cutting:
    def __init__(
        self,
        handover: Handover,
        fetch_back: FetchBack,
        media_dir: Path,
        *,
        url_seconds: Callable[[str], float | None],
        allow_private: bool = False,
        keep_media: bool = False,
    ) -> None:
        self.handover = handover
        self.fetch_back = fetch_back  # a piece whose copy and provider link are both gone
        self.dir = Path(media_dir) / "cuts"
        self.sources = Path(media_dir) / "sources"
        self.url_seconds = url_seconds  # how long a backend keeps a clip at its result URL
        self.allow_private = allow_private
        self.keep_media = keep_media
        self._one = asyncio.Semaphore(1)  # one assembly at a time: each keeps a core busy

    def _folder(self, take: TakeRow) -> Path:
        return self.dir / f"take{take['id']}"

    async def carry(self, ctx: TakeContext, take: TakeRow) -> None:
        """Assemble (again from the start when a restart interrupted it), then deliver the MP4 with
        its edit lists in one message."""
        media = take.get("media_path")
        path = Path(media) if media else None
        if take["state"] != TakeState.UPLOADING or path is None or not path.exists():
            take = await self._assemble(ctx, take)
        job = await ctx.store.run(jobs_db.get_job, ctx.job["id"])
        assert job is not None
        cut = job["request"]["cut"]
        attached = cut.get("attached")
        if attached is None and not take.get("upload_file_id"):
            lists = [self._folder(take) / f"{_stem(take)}.{ext}" for ext in ("edl", "otio")]
            attached = list(await self.handover.upload_attachments([p for p in lists if p.exists()]))
            await ctx.store.run(cuts_db.record_cut, job["id"], attached=attached)
        pieces = [_planned(p) for p in cut["pieces"]]
        words = cut_caption(take["version"], take["seconds"] or cut.get("seconds") or 0.0, pieces)
        facts = f"{disclosure(job['model'])} · {usd(0.0)} · job J{job['id']} · take {take['id']}"
        await self.handover.deliver(
            ctx, take, Presented(f"the cut v{take['version']}", f"{words}\n{facts}", tuple(attached or ()))
        )
        if not self.keep_media:
            shutil.rmtree(self._folder(take), ignore_errors=True)

    async def _assemble(self, ctx: TakeContext, take: TakeRow) -> TakeRow:
        cut = ctx.job["request"]["cut"]
        await ctx.update(TakeState.RENDERING, progress=0, status_note="fetching the shots")
        pieces, sources = [], []
        for p in cut["pieces"]:
            source = await ctx.store.run(jobs_db.source_take, p["take_id"])
            label = f"S{p['shot']} v{p['version']}"
            if source is None:
                raise TakeFailed(f"{label} is gone, so the cut can't be made; ask for the cut again.")
            pieces.append(Piece(await self._clip(source, label), p["in"], p["out"], label))
            # named as the version was delivered into the thread
            clip_name = f"{source['model']}-v{source['version']}.mp4".replace(" ", "-")
            sources.append(ShotSource(f"S{p['shot']}", p["version"], clip_name, p["take_id"]))
        folder = self._folder(take)
        folder.mkdir(parents=True, exist_ok=True)
        out = folder / f"{_stem(take)}.mp4"
        await ctx.update(status_note="assembling")
        try:
            async with self._one:
                assembled = await self._run(ctx, pieces, out, cut)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)  # a stopped or failed assembly leaves nothing
            raise
        title = f"{cut.get('title') or 'Campaign'} · the cut v{take['version']}"
        await asyncio.to_thread(
            write_edit_lists, folder / _stem(take), title=title, placed=assembled.placed, sources=sources,
            fps=assembled.fps,
        )  # fmt: skip
        placed = [
            {
                **p,
                "in": round(a.source_in, 3),
                "out": round(a.source_out, 3),
                "record_in": round(a.record_in, 3),
                "file": str(piece.path),  # the clip it was cut from: its C2PA manifest goes into the cut's
            }
            for p, a, piece in zip(cut["pieces"], assembled.placed, pieces, strict=True)
        ]
        seconds = round(assembled.seconds, 2)
        await ctx.store.run(cuts_db.record_cut, ctx.job["id"], pieces=placed, seconds=seconds)
        await ctx.update(
            TakeState.UPLOADING, media_path=str(out), bytes=out.stat().st_size, seconds=seconds, cost_usd=0.0,
            progress=100, status_note=None,
        )  # fmt: skip
        return await ctx.take_now()

    async def _run(self, ctx: TakeContext, pieces: list[Piece], out: Path, cut: dict[str, Any]) -> Assembled:
        """`assemble` in a thread; its progress stored each second, and stopped (the thread told,
        then waited for) when the take is cancelled here or ended elsewhere."""
        stop = threading.Event()
        done = [0.0]

        def progress(fraction: float) -> None:
            done[0] = fraction

        work = asyncio.ensure_future(
            asyncio.to_thread(
                assemble,
                pieces,
                out,
                aspect=cut.get("aspect"),
                fade=float(cut.get("fade") or 0.0),
                progress=progress,
                should_stop=stop.is_set,
            )  # fmt: skip
        )
        shown = 0
        try:
            while not work.done():
                await asyncio.wait({work}, timeout=PROGRESS_SECONDS)
                now = min(99, round(done[0] * 100))
                if now != shown and not work.done():
                    shown = now
                    await ctx.update(progress=now)  # TakeEnded when it was cancelled elsewhere
            return work.result()
        except AssemblyStopped:
            raise TakeEnded(ctx.take_id) from None
        except (TakeEnded, asyncio.CancelledError):
            stop.set()
            await asyncio.wait({work})
            raise
        except (ValueError, OSError) as exc:  # a piece PyAV can't read, a trim it refuses
            log.warning("take %s: the cut could not be assembled (%s)", ctx.take_id, exc)
            raise TakeFailed(f"The cut could not be assembled: {exc}") from None

    async def _clip(self, source: dict[str, Any], label: str) -> Path:
        """The piece's clip on disk: our copy while it is there, else the backend's link while it
        is valid, else the delivered file back from Slack."""
        path = source.get("media_path")
        if path and Path(path).is_file():
            return Path(path)
        if result_url_valid(source, self.url_seconds(source["backend"]), datetime.now(UTC)):
            self.sources.mkdir(parents=True, exist_ok=True)
            try:
                fetched = await fetch_url(
                    source["result_url"], self.sources / f"take{source['id']}.mp4", kind="video",
                    max_bytes=VIDEO_LIMIT, allow_private=self.allow_private,
                )  # fmt: skip
                return fetched.path
            except FetchRefused as exc:
                log.info("%s: the backend's link failed (%s); asking Slack", label, exc.message)
        got = await self.fetch_back.clip(source)
        if isinstance(got, str):
            raise TakeFailed(f"{label}: {got}")
        return got


def _stem(take: TakeRow) -> str:
    return f"the-cut-v{take['version']}"


def _planned(p: dict[str, Any]) -> Planned:
    return Planned(p["shot"], p["take_id"], p["version"], p["in"], p["out"], p.get("model", ""))
