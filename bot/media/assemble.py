"""The cut: shots assembled into one H.264/AAC MP4 at one frame size, frame rate and audio format,
streamed frame by frame from disk to disk (PyAV), so memory does not grow with the shots."""

from __future__ import annotations

import logging
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

log = logging.getLogger(__name__)

AUDIO_RATE = 48_000
AUDIO_CHUNK = 1024  # AAC's frame size
# a trim may end this far past the header's length (headers round; a frame is ~0.04 s)
TRIM_SLACK = 0.05
PROGRESS_EVERY = 0.25  # seconds between progress reports
STOP_EVERY = 0.1  # seconds between should_stop() checks
# x264 with its defaults holds ~170 MB at 1080p, most of it frames queued for B-frame decisions and
# the lookahead; without them (and two threads, whatever the machine) it holds ~65 MB, flat, for a
# slightly larger file at the same quality: a review cut, where memory matters more than bytes.
X264_LEAN = "threads=2:rc-lookahead=0:mbtree=0:bframes=0"
# faststart: the index goes first, so Slack plays the cut before it has all of it. The muxer holds packets
# back to interleave the streams, by default until they are 10 s apart: a shot whose sound ends early would
# queue 10 s of picture (~250 MB of a high-bitrate 1080p shot). A tenth of a second bounds it.
MUXER = {"movflags": "+faststart", "max_interleave_delta": "100000"}
STANDARD_RATES = tuple(
    Fraction(r) for r in ("24000/1001", "24", "25", "30000/1001", "30", "48", "50", "60000/1001", "60")
)
MAX_SHORT_SIDE = 2160  # 4K: the largest frame a cut is made at, whatever a shot claims


class BadPiece(ValueError):
    """A piece the cut cannot use (unreadable, no video); the message names the shot and what to do."""


class BadTrim(BadPiece):
    """A trim outside the shot's length."""


class AssemblyStopped(Exception):
    """should_stop() turned true; nothing was left at the output path."""


@dataclass(frozen=True)
class Piece:
    path: Path  # a source clip on disk
    start: float = 0.0  # in point (s)
    end: float | None = None  # out point (s); None = end of clip
    label: str = ""  # "S1 v2", for errors/logs


@dataclass(frozen=True)
class Source:
    """What a piece's clip holds, read from its header, with the trim checked against it."""

    piece: Piece
    seconds: float  # the clip's full length
    width: int
    height: int
    fps: Fraction
    has_audio: bool
    start: float  # the in point
    end: float  # the out point (never None)

    @property
    def length(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Placed:
    """Where a piece landed in the sequence (in seconds, and its length in the cut's frames)."""

    label: str
    record_in: float
    seconds: float
    source_in: float
    source_out: float
    source_seconds: float = 0.0  # the source clip's full length (an edit list's available range)
    frames: int = 0  # its frames in the cut


@dataclass(frozen=True)
class Assembled:
    path: Path
    seconds: float
    width: int
    height: int
    fps: float
    has_audio: bool  # always true: a shot without sound gets silence
    placed: tuple[Placed, ...]


@dataclass(frozen=True)
class Format:
    width: int
    height: int
    fps: Fraction


# --- pure parts ----------------------------------------------------------------------------------


def parse_aspect(aspect: str) -> tuple[int, int]:
    """An aspect as (width, height): 16:9 is (16, 9); any W:H of positive integers."""
    w, sep, h = aspect.partition(":")
    if sep and w.isdigit() and h.isdigit() and int(w) > 0 and int(h) > 0:
        return int(w), int(h)
    raise ValueError(f"{aspect!r} is not an aspect; use W:H such as 16:9, 9:16 or 1:1")


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


def frame_size(sizes: Sequence[tuple[int, int]], aspect: str | None) -> tuple[int, int]:
    """The cut's frame: `aspect` (None: the first shot's) at the largest resolution among the shots,
    read as the largest short side (a 1280x720 and a 720x1280 shot are the same resolution), capped at
    4K; both sides even, as yuv420p needs."""
    if not sizes:
        raise ValueError("no shots to size the cut from")
    if aspect is None:
        aw, ah = sizes[0]
    else:
        aw, ah = parse_aspect(aspect)
    short = min(MAX_SHORT_SIDE, max(min(w, h) for w, h in sizes))
    if aw >= ah:
        return _even(short * aw / ah), _even(short)
    return _even(short), _even(short * ah / aw)


def frame_rate(rates: Sequence[Fraction]) -> Fraction:
    """The cut's frame rate: the most common among the shots, ties going to the highest (so a cut of
    two 24 fps shots and one 30 fps shot is 24 fps, one of a 24 and a 30 is 30: no shot's motion is
    thinned unless most shots are slower)."""
    if not rates:
        raise ValueError("no shots to take a frame rate from")
    counts = Counter(rates)
    return max(counts, key=lambda r: (counts[r], r))


def fit(src: tuple[int, int], dst: tuple[int, int]) -> tuple[int, int, int, int]:
    """Where a src-sized picture goes inside dst, scaled to fit without stretching (letterbox or
    pillarbox): (width, height, x, y), all even so the chroma planes line up."""
    sw, sh = src
    dw, dh = dst
    scale = min(dw / sw, dh / sh)
    w, h = min(dw, _even(sw * scale)), min(dh, _even(sh * scale))
    return w, h, (dw - w) // 4 * 2, (dh - h) // 4 * 2


def place(sources: Sequence[Source], fps: Fraction) -> tuple[Placed, ...]:
    """Each piece's place in the sequence. A piece is a whole number of frames (its length rounded to
    the cut's frame rate, at least one), and the record in of each is the frames before it, so cuts
    fall on frame boundaries and the audio, cut at the same instants, stays in sync."""
    placed = []
    at = 0
    for s in sources:
        frames = max(1, round(s.length * fps))
        placed.append(
            Placed(
                label=s.piece.label,
                record_in=float(at / fps),
                seconds=float(frames / fps),
                source_in=s.start,
                source_out=s.start + float(frames / fps),
                source_seconds=s.seconds,
                frames=frames,
            )
        )
        at += frames
    return tuple(placed)


def fade_gain(t, length: float, fade: float, *, fade_in: bool, fade_out: bool):
    """The picture's and the sound's gain (0 = black/silent, 1 = as shot) at time t (seconds, a number
    or a numpy array) of a piece `length` long: a linear ramp from black over `fade` seconds after a
    cut (fade_in) and to black over `fade` seconds before one (fade_out). A fade is at most half the
    piece, so a short piece dips and comes back rather than staying dark."""
    fade = min(fade, length / 2)
    gain = np.ones_like(np.asarray(t, dtype=np.float64))
    if fade <= 0:
        return gain if np.ndim(t) else float(gain)
    if fade_in:
        gain = np.minimum(gain, np.asarray(t) / fade)
    if fade_out:
        gain = np.minimum(gain, (length - np.asarray(t)) / fade)
    gain = np.clip(gain, 0.0, 1.0)
    return gain if np.ndim(t) else float(gain)


def check_trim(piece: Piece, seconds: float) -> tuple[float, float]:
    """The piece's (in, out) checked against its clip's length; BadTrim says what to do."""
    name = piece.label or piece.path.name
    end = seconds if piece.end is None else piece.end
    if not (math.isfinite(piece.start) and math.isfinite(end)):
        raise BadTrim(f"{name}: a trim is two numbers of seconds, such as {name.split()[0]}[1.5-4]")
    if piece.start < 0 or end < 0:
        raise BadTrim(f"{name}: a trim cannot start before 0 s")
    if end > seconds + TRIM_SLACK:
        raise BadTrim(f"{name} is {seconds:.1f} s long; a trim must end by {seconds:.1f}")
    end = min(end, seconds)
    if piece.start >= seconds:
        raise BadTrim(f"{name} is {seconds:.1f} s long; a trim must start before {seconds:.1f}")
    if end - piece.start < 0.05:
        raise BadTrim(f"{name}: a trim must end after it starts ({piece.start:g}-{end:g})")
    return piece.start, end


# --- reading the shots -----------------------------------------------------------------------------


def tidy_rate(rate: float | Fraction | None) -> Fraction:
    """A frame rate as the standard one it is meant to be (a header's 2997/125 or 29.97002997 is
    30000/1001), so shots at the same rate count as one; 24 when the file says nothing sensible."""
    if not rate or rate <= 0 or rate > 240:
        return Fraction(24)
    for standard in STANDARD_RATES:
        if abs(float(rate) - float(standard)) < 0.01:
            return standard
    return Fraction(rate).limit_denominator(1001)


def _rate(stream) -> Fraction:
    return tidy_rate(stream.average_rate or stream.guessed_rate or stream.base_rate)


def probe_piece(piece: Piece) -> Source:
    """One piece's clip, read from its header (no frame decoded), its trim checked."""
    name = piece.label or piece.path.name
    try:
        with av.open(str(piece.path)) as container:
            if not container.streams.video:
                raise BadPiece(f"{name} has no picture; render it again before cutting")
            video = container.streams.video[0]
            seconds = None
            if video.duration is not None and video.time_base is not None:
                seconds = float(video.duration * video.time_base)
            elif container.duration is not None:
                seconds = container.duration / av.time_base
            ctx = video.codec_context
            width, height = ctx.width, ctx.height
            fps = _rate(video)
            has_audio = bool(container.streams.audio)
    except (av.FFmpegError, OSError) as exc:
        raise BadPiece(f"{name}'s clip cannot be read ({type(exc).__name__}); render it again") from exc
    if not seconds or seconds <= 0 or not width or not height:
        raise BadPiece(f"{name}'s clip does not say how long or how large it is; render it again")
    start, end = check_trim(piece, seconds)
    return Source(piece, seconds, width, height, fps, has_audio, start, end)


def probe_pieces(pieces: Sequence[Piece]) -> list[Source]:
    """Every piece read and its trim checked before any work: BadPiece/BadTrim name the shot."""
    if not pieces:
        raise BadPiece("a cut needs at least one shot")
    return [probe_piece(p) for p in pieces]


# --- writing the cut -------------------------------------------------------------------------------


class _Clock:
    """Throttles progress reports and stop checks by wall time."""

    def __init__(self, total_frames: int, progress, should_stop) -> None:
        self.total = max(1, total_frames)
        self.progress = progress
        self.should_stop = should_stop
        self.next_report = 0.0
        self.next_check = 0.0

    def tick(self, frames_done: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if self.should_stop and (force or now >= self.next_check):
            self.next_check = now + STOP_EVERY
            if self.should_stop():
                raise AssemblyStopped("the cut was stopped")
        if self.progress and (force or now >= self.next_report):
            self.next_report = now + PROGRESS_EVERY
            self.progress(min(0.99, frames_done / self.total))


class _Sound:
    """The cut's AAC stream: samples in, 1024-sample frames out, numbered by sample."""

    def __init__(self, container, stream) -> None:
        self.container = container
        self.stream = stream
        self.written = 0  # samples handed to the encoder
        self.pending = np.zeros((2, 0), dtype=np.float32)

    def write(self, samples: np.ndarray) -> None:
        self.pending = np.concatenate([self.pending, samples.astype(np.float32, copy=False)], axis=1)
        while self.pending.shape[1] >= AUDIO_CHUNK:
            self._encode(self.pending[:, :AUDIO_CHUNK])
            self.pending = self.pending[:, AUDIO_CHUNK:]

    def silence(self, n: int) -> None:
        while n > 0:
            step = min(n, 48_000)
            self.write(np.zeros((2, step), dtype=np.float32))
            n -= step

    def _encode(self, chunk: np.ndarray) -> None:
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp", layout="stereo")
        frame.sample_rate = AUDIO_RATE
        frame.time_base = Fraction(1, AUDIO_RATE)
        frame.pts = self.written
        self.written += chunk.shape[1]
        self.container.mux(self.stream.encode(frame))

    def finish(self) -> None:
        if self.pending.shape[1]:
            self._encode(self.pending)
            self.pending = np.zeros((2, 0), dtype=np.float32)
        self.container.mux(self.stream.encode())


class _Picture:
    """Fits a source frame into the cut's frame as yuv420p: scaled straight to it when the shapes
    match, else scaled to fit and painted on a black canvas (letterbox or pillarbox)."""

    def __init__(self, fmt: Format) -> None:
        self.fmt = fmt
        w, h = fmt.width, fmt.height
        self.canvas = np.empty((h * 3 // 2, w), dtype=np.uint8)
        self.y = self.canvas[:h]
        rest = self.canvas[h:].reshape(-1)
        self.u = rest[: h * w // 4].reshape(h // 2, w // 2)
        self.v = rest[h * w // 4 :].reshape(h // 2, w // 2)
        self.fitted: tuple[int, int, int, int] | None = None  # the box painted on the canvas
        self.direct = None  # the current picture when it fills the frame (no canvas needed)

    def black(self) -> None:
        self.y[:] = 16
        self.u[:] = 128
        self.v[:] = 128
        self.fitted = None
        self.direct = None

    def paint(self, frame) -> None:
        """Make `frame` the current picture."""
        w, h, x, y = box = fit((frame.width, frame.height), (self.fmt.width, self.fmt.height))
        small = frame.reformat(width=w, height=h, format="yuv420p")
        if (w, h) == (self.fmt.width, self.fmt.height):
            self.direct = small
            return
        self.direct = None
        if box != self.fitted:  # a new shape: clear the borders to black
            self.black()
            self.fitted = box
        pixels = small.to_ndarray()
        rest = pixels[h:].reshape(-1)
        self.y[y : y + h, x : x + w] = pixels[:h]
        self.u[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2] = rest[: h * w // 4].reshape(h // 2, w // 2)
        self.v[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2] = rest[h * w // 4 :].reshape(h // 2, w // 2)

    def frame(self, gain: float):
        """The current picture as a frame to encode, dimmed towards black by `gain` < 1. (A repeated
        picture may be the same frame object: the encoder takes its own reference to the pixels.)"""
        if gain >= 1.0:
            if self.direct is not None:
                return self.direct
            return av.VideoFrame.from_ndarray(self.canvas, format="yuv420p")
        pixels = (self.direct.to_ndarray() if self.direct is not None else self.canvas).astype(np.float32)
        h = self.fmt.height
        pixels[:h] = 16 + (pixels[:h] - 16) * gain
        pixels[h:] = 128 + (pixels[h:] - 128) * gain
        return av.VideoFrame.from_ndarray(pixels.round().astype(np.uint8), format="yuv420p")


def assemble(
    pieces: Sequence[Piece],
    out: Path,
    *,
    aspect: str | None = None,
    fade: float = 0.0,
    progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    tags: dict[str, str] | None = None,
) -> Assembled:
    """Assemble `pieces` in order into an MP4 at `out` (H.264 yuv420p + AAC 48 kHz stereo, constant
    frame rate). `fade` > 0 dips to black at each cut between shots (the picture fades out over `fade`
    seconds before the cut and in after it, the sound with it), not a dissolve: a dissolve would
    overlap shots and shorten the cut, where the edit list's in/out points must add up. The head and
    the tail stay hard. Written to `out`.part and renamed, so a kill leaves nothing at `out`; `tags`
    are container metadata. Blocking: run it in a thread. Raises BadPiece/BadTrim on bad input and
    AssemblyStopped when should_stop() turns true."""
    if fade < 0 or not math.isfinite(fade):
        raise ValueError("a fade is a number of seconds, 0 or more")
    sources = probe_pieces(pieces)
    fmt = Format(
        *frame_size([(s.width, s.height) for s in sources], aspect),
        frame_rate([s.fps for s in sources]),
    )
    placed = place(sources, fmt.fps)
    total_frames = sum(p.frames for p in placed)
    clock = _Clock(total_frames, progress, should_stop)
    clock.tick(0, force=True)

    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_suffix(".part")
    try:
        with av.open(str(part), "w", format="mp4", options=MUXER) as container:
            if tags:
                container.metadata.update(tags)
            video = container.add_stream("libx264", rate=fmt.fps)
            video.width, video.height, video.pix_fmt = fmt.width, fmt.height, "yuv420p"
            video.time_base = 1 / fmt.fps
            video.options = {"preset": "veryfast", "crf": "20", "x264-params": X264_LEAN}
            audio = container.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
            audio.time_base = Fraction(1, AUDIO_RATE)
            sound = _Sound(container, audio)
            picture = _Picture(fmt)
            done = 0
            for i, (source, where) in enumerate(zip(sources, placed, strict=True)):
                clock.tick(done, force=True)
                cut = _PieceWriter(
                    source,
                    where,
                    fmt,
                    container,
                    video,
                    sound,
                    picture,
                    first_frame=done,
                    fade=fade,
                    fade_in=i > 0,
                    fade_out=i < len(sources) - 1,
                    clock=clock,
                )
                cut.run()
                done += where.frames
            container.mux(video.encode())
            sound.finish()
        clock.tick(total_frames, force=True)
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)
    if progress:
        progress(1.0)
    return Assembled(
        path=out,
        seconds=float(total_frames / fmt.fps),
        width=fmt.width,
        height=fmt.height,
        fps=float(fmt.fps),
        has_audio=True,
        placed=placed,
    )


class _PieceWriter:
    """One piece through the cut: its frames from the in point, resampled to the cut's frame rate
    (output frame k shows the last source frame due by then: repeated or dropped as the rates differ),
    and its sound from the same instant, in one pass over the file so the two stay interleaved."""

    def __init__(
        self,
        source: Source,
        where: Placed,
        fmt: Format,
        container,
        video,
        sound: _Sound,
        picture: _Picture,
        *,
        first_frame: int,
        fade: float,
        fade_in: bool,
        fade_out: bool,
        clock: _Clock,
    ) -> None:
        self.source = source
        self.where = where
        self.fmt = fmt
        self.container = container
        self.video = video
        self.sound = sound
        self.picture = picture
        self.first_frame = first_frame
        self.fade = fade
        self.fade_in = fade_in
        self.fade_out = fade_out
        self.clock = clock
        self.half = 0.5 / float(fmt.fps)
        self.time_base = 1 / fmt.fps  # the encoder's time base: one frame
        self.emitted = 0  # this piece's frames sent to the encoder
        self.current = None  # the latest source frame due (not yet painted, maybe)
        self.shown = None  # the source frame the canvas holds
        # the sound of this piece runs from the cut's sample at its record in to the one at its record out
        self.sample_in = round(first_frame / fmt.fps * AUDIO_RATE)
        self.sample_out = round((first_frame + where.frames) / fmt.fps * AUDIO_RATE)
        self.resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
        self.audio_at: int | None = None  # the next resampled sample, counted from the in point
        self.has_sound = source.has_audio  # false from the moment its sound cannot be decoded
        self.zero = 0.0  # the clip's time 0 (its video stream's start)
        self.last_t: float | None = None  # the last decoded frame's time

    @property
    def name(self) -> str:
        return self.source.piece.label or self.source.piece.path.name

    @property
    def video_done(self) -> bool:
        return self.emitted >= self.where.frames

    @property
    def audio_done(self) -> bool:
        return self.sound.written >= self.sample_out

    def run(self) -> None:
        try:
            with av.open(str(self.source.piece.path)) as clip:
                self._read(clip)
        except (av.FFmpegError, OSError) as exc:
            raise BadPiece(f"{self.name}'s clip could not be decoded ({type(exc).__name__})") from exc
        # a clip shorter than its header said: hold its last frame, pad its sound with silence
        while not self.video_done:
            self._emit()
        if not self.audio_done:
            self.sound.silence(self.sample_out - self.sound.written)

    def _read(self, clip) -> None:
        v = clip.streams.video[0]  # decoded on FFmpeg's default threads: frame threads would hold
        # a 1080p frame set each (~20 MB more), for no gain while the encoder is the slower half
        a = clip.streams.audio[0] if self.has_sound and clip.streams.audio else None
        self.zero = float(v.start_time * v.time_base) if v.start_time is not None else 0.0
        if self.source.start > 0:
            clip.seek(round((self.source.start + self.zero) / v.time_base), stream=v, backward=True)
        for packet in clip.demux(*([v] if a is None else [v, a])):
            self.clock.tick(self.first_frame + self.emitted)  # also while frames before the in point go by
            if packet.stream.type == "video":
                if not self.video_done:
                    for frame in packet.decode():
                        self._video_frame(frame)
                        if self.video_done:
                            break
            elif self.has_sound and not self.audio_done:
                try:
                    for frame in packet.decode():
                        self._audio_frame(frame)
                        if self.audio_done:
                            break
                except (av.FFmpegError, ValueError) as exc:  # the picture is still worth cutting: silence
                    log.warning("%s: its sound cannot be decoded (%s); silent from here", self.name, exc)
                    self.has_sound = False
            if self.video_done and (not self.has_sound or self.audio_done):
                return

    def _due(self, k: int) -> float:
        """The source time (from the clip's start) that the piece's k-th frame shows."""
        return self.source.start + k / self.fmt.fps

    def _video_frame(self, frame) -> None:
        """A decoded frame: every output frame due before it shows the frame before it."""
        if frame.time is not None:
            t = frame.time - self.zero
        else:  # a frame without a timestamp follows the one before it
            t = 0.0 if self.last_t is None else self.last_t + 1 / float(self.source.fps)
        self.last_t = t
        while not self.video_done and self._due(self.emitted) + self.half < t:
            if self.current is None:  # the clip starts after the in point: show its first frame
                self.current = frame
            self._emit()
        self.current = frame

    def _emit(self) -> None:
        if self.current is None:  # nothing decoded for this piece: black
            self.picture.black()
        elif self.current is not self.shown:
            self.picture.paint(self.current)
            self.shown = self.current
        k = self.emitted
        gain = 1.0
        if self.fade > 0:
            length = (self.where.frames - 1) / float(self.fmt.fps)
            gain = fade_gain(
                k / float(self.fmt.fps), length, self.fade, fade_in=self.fade_in, fade_out=self.fade_out
            )
        frame = self.picture.frame(gain)
        frame.pts = self.first_frame + k
        frame.time_base = self.time_base  # a decoded frame carries its source's time base: PyAV would rescale
        self.container.mux(self.video.encode(frame))
        self.emitted += 1
        if not self.has_sound:  # silence in step with the picture, so the muxer holds little
            until = round((self.first_frame + self.emitted) / self.fmt.fps * AUDIO_RATE)
            self.sound.silence(until - self.sound.written)
        self.clock.tick(self.first_frame + self.emitted)

    def _audio_frame(self, frame) -> None:
        if self.audio_at is None:
            t = (frame.time if frame.time is not None else self.source.start + self.zero) - self.zero
            self.audio_at = round((t - self.source.start) * AUDIO_RATE)
            if self.audio_at > 0:  # the sound starts after the in point: silence until it does
                self.sound.silence(min(self.audio_at, self.sample_out - self.sound.written))
                self.audio_at = 0
        for chunk in self.resampler.resample(frame):
            samples = chunk.to_ndarray()
            if self.audio_at < 0:  # before the in point
                skip = min(-self.audio_at, samples.shape[1])
                samples = samples[:, skip:]
                self.audio_at += skip
            samples = samples[:, : max(0, self.sample_out - self.sound.written)]
            if not samples.shape[1]:
                continue
            if self.fade > 0:
                at = (self.sound.written - self.sample_in + np.arange(samples.shape[1])) / AUDIO_RATE
                length = (self.sample_out - self.sample_in - 1) / AUDIO_RATE
                gain = fade_gain(at, length, self.fade, fade_in=self.fade_in, fade_out=self.fade_out)
                samples = samples * gain.astype(np.float32)
            self.sound.write(samples)
            self.audio_at += samples.shape[1]
