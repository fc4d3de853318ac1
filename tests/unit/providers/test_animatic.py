"""The preview renderer writes real, playable H.264 MP4s of the requested size and duration."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageFont

from bot.media.probe import probe_mp4
from bot.providers.preview.animatic import render_animatic
from bot.providers.preview.titlecard import printable, wrap

FRAME = 1 / 24

HOSTILE = (
    "שלום עולם مرحبا بالعالم 😀👩‍👩‍👧 \u202eevil override\u202c \x00\x07\x1b[31m\ttab\r\nnew line "
    "\ud800 lone surrogate \ue000 private \u200b zero width 中文字幕 "
) * 40 + "x" * 4000


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def test_a_short_clip_probes_as_h264_of_the_right_size_and_duration(tmp_path):
    dest = render_animatic(
        tmp_path / "clip.mp4", prompt="a red fox in the snow", seconds=2, width=640, height=360
    )

    info = probe_mp4(dest)
    assert info["codec"] == "h264"
    assert info["pix_fmt"] == "yuv420p"
    assert (info["width"], info["height"]) == (640, 360)
    assert abs(info["seconds"] - 2.0) <= FRAME
    assert info["has_audio"] is False
    assert len(frames_of(dest)) == 48


@pytest.mark.parametrize(("width", "height"), [(360, 640), (360, 360)])
def test_portrait_and_square_sizes(tmp_path, width, height):
    dest = render_animatic(tmp_path / "clip.mp4", prompt="a tall shot", seconds=1, width=width, height=height)

    info = probe_mp4(dest)
    assert (info["width"], info["height"]) == (width, height)
    assert abs(info["seconds"] - 1.0) <= FRAME


def test_odd_sizes_are_rounded_down_to_even_for_yuv420p(tmp_path):
    dest = render_animatic(tmp_path / "clip.mp4", prompt="odd", seconds=1, width=321, height=181)

    assert (probe_mp4(dest)["width"], probe_mp4(dest)["height"]) == (320, 180)


def test_audio_adds_an_aac_track_as_long_as_the_video(tmp_path):
    dest = render_animatic(
        tmp_path / "clip.mp4", prompt="with sound", seconds=1.5, width=320, height=180, audio=True
    )

    assert probe_mp4(dest)["has_audio"] is True
    with av.open(str(dest)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "aac"
        decoded = [frame.to_ndarray() for frame in container.decode(audio=0)]
    samples = sum(chunk.shape[-1] for chunk in decoded)
    loudest = max(float(np.abs(chunk).max()) for chunk in decoded)
    assert abs(samples / 48_000 - 1.5) < 0.05
    assert 0.0 < loudest < 0.5  # audible but gentle


def test_progress_is_monotonic_and_ends_at_one(tmp_path):
    reports: list[float] = []
    render_animatic(
        tmp_path / "clip.mp4", prompt="p", seconds=1, width=320, height=180, progress=reports.append
    )

    assert len(reports) >= 3
    assert reports == sorted(reports)
    assert reports[-1] == 1.0
    assert all(0.0 <= r <= 1.0 for r in reports)


def test_writes_atomically_and_a_failed_render_leaves_nothing(tmp_path):
    render_animatic(tmp_path / "ok.mp4", prompt="p", seconds=1, width=320, height=180)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.mp4"]

    def stop(fraction: float) -> None:
        if fraction > 0.3:
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        render_animatic(tmp_path / "broken.mp4", prompt="p", seconds=2, width=320, height=180, progress=stop)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.mp4"]


def test_hostile_text_renders(tmp_path):
    assert len(HOSTILE.encode("utf-8", "surrogatepass")) > 10_000
    dest = render_animatic(
        tmp_path / "clip.mp4",
        prompt=HOSTILE,
        subtitle=HOSTILE,
        label=HOSTILE,
        seconds=1,
        width=360,
        height=640,
    )
    assert probe_mp4(dest)["codec"] == "h264"


def test_an_image_plate_shows_through(tmp_path):
    Image.new("RGB", (400, 300), (220, 20, 20)).save(tmp_path / "red.png")

    dest = render_animatic(
        tmp_path / "clip.mp4",
        prompt="from an image",
        seconds=1,
        width=320,
        height=180,
        plate=tmp_path / "red.png",
    )

    corner = frames_of(dest)[0][20:60, 240:300].reshape(-1, 3).mean(axis=0)  # top right: no text there
    assert corner[0] > 170 and corner[1] < 70 and corner[2] < 70


def test_a_video_plate_uses_its_first_frame_and_garbage_falls_back(tmp_path):
    Image.new("RGB", (64, 64), (20, 200, 20)).save(tmp_path / "green.png")
    render_animatic(
        tmp_path / "green.mp4", prompt="", seconds=1, width=320, height=180, plate=tmp_path / "green.png"
    )
    (tmp_path / "junk.bin").write_bytes(b"\x00not an image or a video" * 10)

    from_video = render_animatic(
        tmp_path / "a.mp4", prompt="edit", seconds=1, width=320, height=180, plate=tmp_path / "green.mp4"
    )
    from_junk = render_animatic(
        tmp_path / "b.mp4", prompt="x", seconds=1, width=320, height=180, plate=tmp_path / "junk.bin"
    )

    corner = frames_of(from_video)[0][20:60, 240:300].reshape(-1, 3).mean(axis=0)
    assert corner[1] > 150 and corner[0] < 80
    assert probe_mp4(from_junk)["codec"] == "h264"


def test_the_camera_moves(tmp_path):
    frames = frames_of(
        render_animatic(tmp_path / "c.mp4", prompt="p", seconds=1, width=320, height=180, seed=1)
    )
    corner = (slice(20, 60), slice(240, 300))  # background only: the text layer does not move
    difference = np.abs(frames[0][corner].astype(int) - frames[-1][corner].astype(int)).mean()
    assert difference > 1.0


def test_printable_drops_controls_and_folds_what_the_font_lacks():
    builtin = ImageFont.load_default(size=20)  # Latin-only: the fallback when no system font exists

    assert printable("café\u202e\x00 naïve\r\n\tdone", builtin) == "cafe naive done"
    assert printable("a" * 1000, builtin, limit=50) == "a" * 49 + "…"


def test_wrap_fits_lines_breaks_long_words_and_ellipsizes():
    font = ImageFont.load_default(size=20)
    text = "the quick brown fox jumps over the lazy dog " * 10 + "x" * 200

    lines = wrap(text, font, 200, 100)
    assert all(font.getlength(line) <= 200 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")

    short = wrap(text, font, 200, 3)
    assert len(short) == 3 and short[-1].endswith("…")
    assert all(font.getlength(line) <= 200 for line in short)


@pytest.mark.parametrize("kwargs", [{"seconds": 0}, {"width": 8}, {"fps": 0}])
def test_rejects_impossible_requests(tmp_path, kwargs):
    args = {"prompt": "p", "seconds": 1, "width": 320, "height": 180} | kwargs
    with pytest.raises(ValueError):
        render_animatic(tmp_path / "x.mp4", **args)
