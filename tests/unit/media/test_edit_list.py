"""The cut's edit lists: written as .otio and .edl, read back by OpenTimelineIO and its CMX 3600 adapter."""

from __future__ import annotations

import opentimelineio as otio
import pytest

from bot.media.assemble import Placed
from bot.media.edit_list import ShotSource, reel_name, timeline, write_edit_lists

FPS = 30.0
PLACED = (
    Placed(
        "S1 v2", record_in=0.0, seconds=4.0, source_in=0.0, source_out=4.0, source_seconds=4.0, frames=120
    ),
    Placed("S3 v1", record_in=4.0, seconds=2.5, source_in=1.5, source_out=4.0, source_seconds=5.0, frames=75),
    Placed("S2 v1", record_in=6.5, seconds=2.0, source_in=0.0, source_out=2.0, source_seconds=6.0, frames=60),
)
SOURCES = (
    ShotSource("S1", 2, "launch-S1-v2.mp4", take_id=41),
    ShotSource("S3", 1, "launch-S3-v1.mp4", take_id=17),
    ShotSource("S2", 1, "launch-S2-v1.mp4", take_id=12),
)


def test_reel_names_are_short_and_unique_per_shot_and_version():
    assert reel_name("S1", 2) == "S1V2"
    assert reel_name("S12", 3) == "S12V3" and reel_name("S1", 23) == "S1V23"
    assert reel_name("s 4", 1) == "S4V1"
    assert len(reel_name("S50", 123456)) == 8


def test_the_otio_reads_back_with_every_shot_its_version_and_in_out_points(tmp_path):
    lists = write_edit_lists(
        tmp_path / "launch-cut-v1", title="Launch cut v1", placed=PLACED, sources=SOURCES, fps=FPS
    )
    assert lists.otio.name == "launch-cut-v1.otio" and lists.edl.name == "launch-cut-v1.edl"
    read = otio.adapters.read_from_file(str(lists.otio))
    clips = list(read.find_clips())
    assert read.name == "Launch cut v1"
    assert [c.name for c in clips] == ["S1 v2", "S3 v1", "S2 v1"]
    assert [c.media_reference.target_url for c in clips] == [s.clip_name for s in SOURCES]
    ins = [c.source_range.start_time.to_seconds() for c in clips]
    outs = [c.source_range.end_time_exclusive().to_seconds() for c in clips]
    assert ins == [0.0, 1.5, 0.0] and outs == [4.0, 4.0, 2.0]
    assert [c.media_reference.available_range.duration.to_seconds() for c in clips] == [4.0, 5.0, 6.0]
    assert [c.range_in_parent().start_time.to_seconds() for c in clips] == [0.0, 4.0, 6.5]
    assert clips[1].metadata["dailies"]["shot"] == "S3"
    assert clips[1].metadata["dailies"]["version"] == 1
    assert clips[1].metadata["dailies"]["take_id"] == 17
    assert read.duration().to_seconds() == 8.5


def test_the_edl_has_one_event_per_shot_at_the_cuts_frame_rate(tmp_path):
    lists = write_edit_lists(tmp_path / "cut", title="Launch cut v1", placed=PLACED, sources=SOURCES, fps=FPS)
    text = lists.edl.read_text()
    events = [line for line in text.splitlines() if line[:3].isdigit()]
    assert len(events) == 3
    assert events[1].split()[1] == "S3V1"  # the reel names the shot and version
    assert "00:00:01:15 00:00:04:00 00:00:04:00 00:00:06:15" in events[1]  # at 30 fps
    assert "* FROM CLIP NAME:  S3 v1" in text and "launch-S3-v1.mp4" in text
    assert "TRUNCATED" not in text
    read = otio.adapters.read_from_file(str(lists.edl), rate=FPS)
    clips = list(read.find_clips())
    assert [c.name for c in clips] == ["S1 v2", "S3 v1", "S2 v1"]
    assert [c.source_range.start_time.to_seconds() for c in clips] == [0.0, 1.5, 0.0]
    assert [c.source_range.duration.to_seconds() for c in clips] == [4.0, 2.5, 2.0]
    assert not list(tmp_path.glob("*.part"))


def test_a_placed_list_and_sources_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="3 placed pieces but 2 sources"):
        timeline("x", PLACED, SOURCES[:2], FPS)
