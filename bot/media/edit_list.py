"""The cut's edit decision lists: an OpenTimelineIO timeline of the placed shots, written as `.otio`
and, through the packaged CMX 3600 adapter (`otio-cmx3600-adapter`), as an `.edl` an editor conforms."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio

from bot.media.assemble import Placed

REEL_LENGTH = 8  # CMX 3600's reel names are 8 characters; the adapter truncates longer ones


@dataclass(frozen=True)
class ShotSource:
    """Which delivered version a placed piece came from."""

    shot: str  # "S1"
    version: int  # 2
    clip_name: str  # the source clip's file name, as delivered ("S1-v2.mp4")
    take_id: int | None = None


@dataclass(frozen=True)
class EditLists:
    otio: Path
    edl: Path


def reel_name(shot: str, version: int) -> str:
    """A short reel name, unique per shot and version within 8 characters ("S12V3"), so the adapter
    writes it as it is instead of cutting the clip's file name to 8 characters."""
    name = re.sub(r"[^A-Za-z0-9]", "", f"{shot}V{version}").upper()
    return name[:REEL_LENGTH] or "AX"


def _frames(seconds: float, rate: float) -> otio.opentime.RationalTime:
    # whole frames at the cut's rate: an EDL counts frames, and the cut's pieces are whole frames
    return otio.opentime.RationalTime(round(seconds * rate), rate)


def timeline(
    title: str, placed: Sequence[Placed], sources: Sequence[ShotSource], fps: float
) -> otio.schema.Timeline:
    """One video track, one clip per placed piece in record order: named by its shot and version
    ("S1 v2"), referring to the source clip by file name, with the clip's full length as its available
    range and the piece's in/out as its source range, all at the cut's frame rate."""
    if len(placed) != len(sources):
        raise ValueError(f"{len(placed)} placed pieces but {len(sources)} sources")
    tl = otio.schema.Timeline(name=title)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    tl.tracks.append(track)
    for piece, source in zip(placed, sources, strict=True):
        available = _frames(max(piece.source_seconds, piece.source_out), fps)
        ref = otio.schema.ExternalReference(
            target_url=source.clip_name,
            available_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, fps), available),
        )
        clip = otio.schema.Clip(
            name=piece.label or f"{source.shot} v{source.version}",
            media_reference=ref,
            source_range=otio.opentime.TimeRange(
                _frames(piece.source_in, fps),
                otio.opentime.RationalTime(piece.frames or round(piece.seconds * fps), fps),
            ),
        )
        clip.metadata["dailies"] = {
            "shot": source.shot,
            "version": source.version,
            "take_id": source.take_id,
            "record_in": piece.record_in,
        }
        clip.metadata["cmx_3600"] = {"reel": reel_name(source.shot, source.version)}
        track.append(clip)
    return tl


def write_edit_lists(
    stem: Path, *, title: str, placed: Sequence[Placed], sources: Sequence[ShotSource], fps: float
) -> EditLists:
    """`<stem>.otio` and `<stem>.edl` (CMX 3600 at the cut's frame rate) beside each other, each
    written whole or not at all (a restart finds a complete file or none)."""
    tl = timeline(title, placed, sources, fps)
    otio_path = stem.with_name(f"{stem.name}.otio")
    edl_path = stem.with_name(f"{stem.name}.edl")
    _write(otio_path, otio.adapters.write_to_string(tl, adapter_name="otio_json"))
    _write(edl_path, otio.adapters.write_to_string(tl, adapter_name="cmx_3600", rate=fps))
    return EditLists(otio=otio_path, edl=edl_path)


def _write(path: Path, text: str) -> None:
    part = path.with_name(f"{path.name}.part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)
