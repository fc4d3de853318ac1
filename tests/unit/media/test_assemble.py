"""The cut's assembly: real small MP4s of different sizes, rates and sound, assembled with PyAV and read
back; and the pure parts (frame size, frame rate, placing, the fade) on their own."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from bot.media.assemble import (
    AUDIO_RATE,
    AssemblyStopped,
    BadPiece,
    BadTrim,
    Piece,
    Source,
    assemble,
    fade_gain,
    fit,
    frame_rate,
    frame_size,
    parse_aspect,
    place,
    probe_pieces,
    tidy_rate,
)
from bot.media.disclosure import ClipFacts, SourceClip
from bot.media.probe import read_tags
from bot.media.provenance import Labeller, read_manifest
from tests.fakes.c2pa_certs import write_chain
from tests.fakes.mp4 import write_mp4

# --- pure parts -----------------------------------------------------------------------------------


def test_frame_size_is_the_aspect_at_the_largest_short_side():
    sizes = [(320, 180), (640, 360), (360, 640)]
    assert frame_size(sizes, "16:9") == (640, 360)
    assert frame_size(sizes, "9:16") == (360, 640)
    assert frame_size(sizes, "1:1") == (360, 360)
    assert frame_size([(1280, 720), (720, 1280)], "9:16") == (720, 1280)


def test_frame_size_without_an_aspect_takes_the_first_shots():
    assert frame_size([(360, 640), (1920, 1080)], None) == (1080, 1920)


def test_frame_size_is_even_and_capped_at_4k():
    w, h = frame_size([(301, 169)], "16:9")
    assert w % 2 == 0 and h % 2 == 0
    assert frame_size([(8000, 6000)], "4:3") == (2880, 2160)


def test_a_bad_aspect_is_refused_with_the_form_to_use():
    with pytest.raises(ValueError, match="W:H"):
        parse_aspect("wide")


def test_frame_rate_is_the_most_common_and_ties_go_to_the_highest():
    assert frame_rate([Fraction(24), Fraction(24), Fraction(30)]) == 24
    assert frame_rate([Fraction(24), Fraction(30)]) == 30
    assert frame_rate([Fraction(30000, 1001)]) == Fraction(30000, 1001)


def test_frame_rates_are_read_as_the_standard_rate_they_mean():
    assert tidy_rate(Fraction(2997, 125)) == Fraction(24000, 1001)
    assert tidy_rate(29.97002997) == Fraction(30000, 1001)
    assert tidy_rate(Fraction(25)) == 25
    assert tidy_rate(Fraction(15)) == 15
    assert tidy_rate(None) == 24 and tidy_rate(Fraction(90000)) == 24


def test_fit_letterboxes_and_pillarboxes_without_stretching():
    assert fit((640, 360), (640, 360)) == (640, 360, 0, 0)
    w, h, x, y = fit((360, 640), (640, 360))  # pillarbox
    assert h == 360 and abs(w / h - 360 / 640) < 0.02 and x == (640 - w) // 2 // 2 * 2 and y == 0
    w, h, x, y = fit((640, 360), (360, 640))  # letterbox
    assert w == 360 and abs(w / h - 640 / 360) < 0.02 and x == 0 and y > 0
    assert all(v % 2 == 0 for v in fit((333, 187), (640, 360)))


def _source(label: str, seconds: float, start: float = 0.0, end: float | None = None) -> Source:
    piece = Piece(Path(f"{label}.mp4"), start, end, label)
    return Source(piece, seconds, 320, 180, Fraction(24), True, start, seconds if end is None else end)


def test_place_puts_whole_frames_end_to_end():
    placed = place(
        [_source("S1 v1", 4.0), _source("S2 v1", 5.0, 1.5, 4.0), _source("S3 v2", 1.01)], Fraction(24)
    )
    assert [p.label for p in placed] == ["S1 v1", "S2 v1", "S3 v2"]
    assert [p.frames for p in placed] == [96, 60, 24]
    assert [p.record_in for p in placed] == [0.0, 4.0, 6.5]
    assert placed[1].source_in == 1.5 and placed[1].source_out == 4.0 and placed[1].source_seconds == 5.0
    assert sum(p.seconds for p in placed) == 7.5


def test_fade_gain_dips_to_black_at_cuts_only():
    assert fade_gain(0.0, 4.0, 0.5, fade_in=True, fade_out=True) == 0.0
    assert fade_gain(0.25, 4.0, 0.5, fade_in=True, fade_out=True) == 0.5
    assert fade_gain(2.0, 4.0, 0.5, fade_in=True, fade_out=True) == 1.0
    assert fade_gain(4.0, 4.0, 0.5, fade_in=True, fade_out=True) == 0.0
    assert fade_gain(0.0, 4.0, 0.5, fade_in=False, fade_out=True) == 1.0  # the head stays hard
    assert fade_gain(4.0, 4.0, 0.0, fade_in=True, fade_out=True) == 1.0  # no fade: hard cuts
    ramp = fade_gain(np.array([0.0, 0.5, 1.0]), 1.0, 5.0, fade_in=True, fade_out=True)
    assert ramp.tolist() == [0.0, 1.0, 0.0]  # a fade is at most half the piece


# --- assembling real clips -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("shots")
    return {
        "wide_small": write_mp4(root / "s1.mp4", seconds=1.0, width=320, height=180, fps=24, audio=True),
        "wide_silent": write_mp4(root / "s2.mp4", seconds=1.5, width=640, height=360, fps=30),
        "tall": write_mp4(root / "s3.mp4", seconds=1.0, width=360, height=640, fps=25, audio=True, tone=660),
        "numbered": write_mp4(root / "s4.mp4", seconds=1.0, width=320, height=180, fps=12, audio=True),
    }


def _streams(path: Path) -> dict:
    with av.open(str(path)) as container:
        v, a = container.streams.video, container.streams.audio
        video = v[0]
        return {
            "videos": len(v),
            "audios": len(a),
            "width": video.codec_context.width,
            "height": video.codec_context.height,
            "codec": video.codec_context.name,
            "pix_fmt": video.codec_context.format.name,
            "fps": video.average_rate,
            "seconds": float(video.duration * video.time_base),
            "audio_seconds": float(a[0].duration * a[0].time_base) if a else 0.0,
            "audio_codec": a[0].codec_context.name if a else None,
            "audio_rate": a[0].codec_context.sample_rate if a else None,
            "channels": a[0].codec_context.channels if a else None,
        }


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def _loudness(path: Path, window: float = 0.1) -> list[float]:
    """Peak level of each `window` of the cut's sound."""
    with av.open(str(path)) as container:
        samples = np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)
    step = round(window * AUDIO_RATE)
    return [
        float(np.abs(samples[:, i : i + step]).max()) for i in range(0, samples.shape[1] - step + 1, step)
    ]


def test_shots_of_different_sizes_rates_and_sound_come_out_one_uniform_stream(clips, tmp_path):
    out = tmp_path / "cut.mp4"
    pieces = [
        Piece(clips["wide_small"], label="S1 v1"),
        Piece(clips["wide_silent"], label="S2 v3"),
        Piece(clips["tall"], label="S3 v1"),
    ]
    reports: list[float] = []
    made = assemble(pieces, out, aspect="16:9", progress=reports.append)

    assert made.path == out and out.exists() and not out.with_suffix(".part").exists()
    got = _streams(out)
    assert got["videos"] == 1 and got["audios"] == 1
    assert (got["width"], got["height"]) == (made.width, made.height) == (640, 360)
    assert got["codec"] == "h264" and got["pix_fmt"] == "yuv420p"
    assert got["audio_codec"] == "aac" and got["audio_rate"] == 48_000 and got["channels"] == 2
    assert made.fps == 30 and got["fps"] == 30  # 24, 30 and 25 once each: the highest
    frames = _frames(out)
    assert {f.shape for f in frames} == {(360, 640, 3)}
    assert len(frames) == 105  # 30 + 45 + 30: constant frame rate
    assert abs(got["seconds"] - 3.5) < 0.1 and abs(made.seconds - 3.5) < 0.1
    assert abs(got["audio_seconds"] - 3.5) < 0.1  # sound as long as the picture: in sync at every cut
    assert [p.label for p in made.placed] == ["S1 v1", "S2 v3", "S3 v1"]
    assert [round(p.record_in, 3) for p in made.placed] == [0.0, 1.0, 2.5]
    # the silent shot is silent, the others are not
    level = _loudness(out)
    assert min(level[1:9]) > 0.1 and max(level[11:24]) < 0.01 and min(level[26:34]) > 0.1
    # the tall shot is pillarboxed (black sides), not stretched
    tall = frames[90]
    assert tall[:, :100].max() < 30 and tall[:, 300:340].mean() > 30
    assert reports and reports[-1] == 1.0 and all(0 <= r <= 1 for r in reports)
    assert reports == sorted(reports)


def test_a_trim_starts_at_its_in_point_and_ends_at_its_out_point(clips, tmp_path):
    out = tmp_path / "trim.mp4"
    made = assemble([Piece(clips["numbered"], 0.5, 0.9, "S4 v1")], out)
    blue = [round(float(f[..., 2].mean()) / 20) for f in _frames(out)]
    assert blue == [6, 7, 8, 9, 10]  # frames 0.5 s to 0.9 s of a 12 fps clip
    # 0.4 s is 4.8 frames at 12 fps: whole frames, so the out point is 0.5 + 5/12
    assert made.placed[0].source_in == 0.5 and abs(made.placed[0].source_out - (0.5 + 5 / 12)) < 1e-9
    assert abs(_streams(out)["seconds"] - 0.4167) < 0.01


def test_the_order_given_is_the_order_cut(clips, tmp_path):
    out = tmp_path / "order.mp4"
    made = assemble(
        [Piece(clips["tall"], label="S3 v1"), Piece(clips["numbered"], 0.0, 0.5, "S4 v1")], out, aspect="9:16"
    )
    assert [p.label for p in made.placed] == ["S3 v1", "S4 v1"]
    assert (made.width, made.height) == (360, 640)
    assert made.fps == 25
    assert abs(made.seconds - 1.52) < 0.05  # 25 frames + 0.5 s at 25 fps (13 frames)


def test_a_fade_dips_to_black_at_the_cut_and_keeps_the_length(clips, tmp_path):
    hard = assemble(
        [Piece(clips["wide_small"], label="S1 v1"), Piece(clips["tall"], label="S3 v1")],
        tmp_path / "hard.mp4",
    )
    out = tmp_path / "fade.mp4"
    made = assemble(
        [Piece(clips["wide_small"], label="S1 v1"), Piece(clips["tall"], label="S3 v1")], out, fade=0.3
    )
    assert made.seconds == hard.seconds
    frames = _frames(out)
    cut = made.placed[1].frames and round(made.placed[1].record_in * made.fps)
    brightness = [float(f.mean()) for f in frames]
    assert brightness[cut - 1] < 25 and brightness[cut] < 25  # black on both sides of the cut
    assert brightness[0] > 60 and brightness[-1] > 25  # the head and the tail stay hard
    assert brightness[cut - 12] > brightness[cut - 4] > brightness[cut - 1]
    level = _loudness(out, window=0.05)
    at_cut = round(made.placed[1].record_in / 0.05)
    assert level[at_cut - 1] < 0.1 and level[at_cut] < 0.1 and level[at_cut - 10] > 0.15


def _short_sound(path: Path, *, seconds: float, sound_seconds: float, fps: int = 24) -> Path:
    """A 320x180 clip whose sound stops `sound_seconds` in, while its picture runs on."""
    with av.open(str(path), "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 320, 180, "yuv420p"
        sound = container.add_stream("aac", rate=48_000, layout="mono")
        sent = 0
        for i in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(np.full((180, 320, 3), 120, np.uint8), format="rgb24")
            frame.pts = i
            container.mux(video.encode(frame))
            end = min(round((i + 1) / fps * 48_000), round(sound_seconds * 48_000))
            if end > sent:
                wave = 0.3 * np.sin(2 * np.pi * 440 * np.arange(sent, end) / 48_000)
                chunk = av.AudioFrame.from_ndarray(
                    wave.astype(np.float32)[None, :], format="fltp", layout="mono"
                )
                chunk.sample_rate, chunk.pts, sent = 48_000, sent, end
                container.mux(sound.encode(chunk))
        container.mux(video.encode())
        container.mux(sound.encode())
    return path


def test_a_shot_whose_sound_ends_early_is_padded_with_silence_and_the_next_stays_in_sync(clips, tmp_path):
    short = _short_sound(tmp_path / "short.mp4", seconds=1.0, sound_seconds=0.3)
    out = tmp_path / "padded.mp4"
    made = assemble([Piece(short, label="S1 v1"), Piece(clips["tall"], label="S2 v1")], out, aspect="16:9")
    got = _streams(out)
    assert abs(got["audio_seconds"] - got["seconds"]) < 0.05 and abs(made.seconds - 2.0) < 0.05
    level = _loudness(out)
    assert min(level[:2]) > 0.1 and max(level[4:9]) < 0.01  # the sound, then silence to the cut
    assert min(level[11:19]) > 0.1  # the next shot's sound at its place


def test_should_stop_stops_it_and_leaves_nothing_at_out(clips, tmp_path):
    out = tmp_path / "stopped.mp4"
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 1  # the check before work passes; the next one stops it

    with pytest.raises(AssemblyStopped):
        assemble([Piece(clips["wide_small"]), Piece(clips["tall"])], out, should_stop=stop)
    assert not out.exists() and not out.with_suffix(".part").exists()


def test_bad_trims_are_refused_before_any_work_with_what_to_do(clips, tmp_path):
    out = tmp_path / "bad.mp4"
    with pytest.raises(BadTrim, match=r"S2 is 1\.5 s long; a trim must end by 1\.5"):
        assemble([Piece(clips["wide_small"], label="S1"), Piece(clips["wide_silent"], 0, 5, "S2")], out)
    with pytest.raises(BadTrim, match="start before"):
        probe_pieces([Piece(clips["wide_silent"], 2.0, None, "S2")])
    with pytest.raises(BadTrim, match="end after it starts"):
        probe_pieces([Piece(clips["wide_silent"], 1.0, 0.5, "S2")])
    with pytest.raises(BadTrim, match=r"two numbers of seconds, such as S2\[1\.5-4\]"):
        probe_pieces([Piece(clips["wide_silent"], float("nan"), 0.5, "S2 v1")])
    with pytest.raises(BadTrim, match="before 0"):
        probe_pieces([Piece(clips["wide_silent"], -1.0, 0.5, "S2")])
    assert not out.exists() and not out.with_suffix(".part").exists()


def test_a_clip_that_is_not_a_video_is_refused_by_name(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    with pytest.raises(BadPiece, match="S5 v1's clip cannot be read"):
        assemble([Piece(junk, label="S5 v1")], tmp_path / "out.mp4")
    with pytest.raises(BadPiece, match="at least one shot"):
        assemble([], tmp_path / "out.mp4")


def test_the_cut_is_labelled_and_signed_as_delivered_clips_are(clips, tmp_path):
    out = tmp_path / "the-cut-v1.mp4"
    assemble([Piece(clips["numbered"], label="S4 v1"), Piece(clips["wide_silent"], label="S2 v1")], out)
    facts = ClipFacts(
        model="kling-v3",
        provider="kling",
        kind="cut",
        title="the cut v1",
        source=SourceClip(take_id=4, version=1, model="kling-v3"),
    )
    cert, key = write_chain(tmp_path / "certs")
    labelled = Labeller(str(cert), str(key)).label(out, facts)
    assert labelled.signed and not labelled.unsigned
    assert read_tags(labelled.path)["comment"] == "AI-generated with kling-v3"
    manifest = read_manifest(labelled.path)
    assert manifest is not None and manifest["title"] == "the cut v1"
    assert _streams(labelled.path)["audios"] == 1 and _streams(labelled.path)["videos"] == 1


def test_the_cut_can_carry_its_own_tags(clips, tmp_path):
    out = tmp_path / "tagged.mp4"
    assemble([Piece(clips["numbered"])], out, tags={"comment": "AI-generated with kling-v3"})
    assert read_tags(out)["comment"] == "AI-generated with kling-v3"
