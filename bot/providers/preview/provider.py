"""The `preview` backend: renders an animatic locally for any model, with no network and no spend.

Renders run in a thread pool and write `<work_dir>/<task id>.mp4`, so a task survives a restart:
asked about a task it does not know, the provider finds the finished file or renders it again.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
import uuid
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import av

from bot.media.probe import audio_seconds
from bot.providers.base import Availability, Mode, Provider, RenderSpec, TaskState, TaskStatus
from bot.providers.errors import BadRequest, ProviderError, Unavailable
from bot.providers.preview.animatic import render_animatic
from bot.request.lipsync import spoken_seconds

TASK_ID = re.compile(r"pv-[0-9a-f]{32}")
DEFAULT_SECONDS = 5
MIN_SECONDS, MAX_SECONDS = 1, 20
STALE_PART_SECONDS = 3600
MIN_SIDE = 32  # the smallest frame side a scaled-down preview is drawn at

SIZES = {  # (aspect, resolution) -> (width, height)
    ("16:9", "720p"): (1280, 720),
    ("16:9", "1080p"): (1920, 1080),
    ("9:16", "720p"): (720, 1280),
    ("9:16", "1080p"): (1080, 1920),
    ("1:1", "720p"): (720, 720),
    ("1:1", "1080p"): (1080, 1080),
}

MODE_LABELS = {
    Mode.TEXT: "TEXT TO VIDEO",
    Mode.IMAGE: "IMAGE TO VIDEO",
    Mode.EDIT: "EDIT",
    Mode.EXTEND: "EXTEND",
    Mode.AVATAR: "AVATAR",
}


@dataclass(frozen=True)
class Animatic:
    """What to draw for one spec: the arguments of `render_animatic` minus destination and progress."""

    prompt: str
    subtitle: str
    seconds: float
    width: int
    height: int
    audio: bool
    seed: int
    label: str
    plate: Path | None


def plan_animatic(spec: RenderSpec, scale: float = 1.0) -> Animatic:
    """The animatic standing in for `spec` (pure apart from timing a local speech file); `scale`
    (DAILIES_PREVIEW_SCALE, at most 1) shrinks the frame for quicker drafts on a small machine."""
    seconds = _seconds(spec)
    width, height = SIZES.get((spec.aspect, spec.resolution), SIZES.get((spec.aspect, "720p"), (1280, 720)))
    width, height = (max(MIN_SIDE, round(side * scale / 2) * 2) for side in (width, height))
    stands_in = "preview" if spec.model == "preview" else f"preview of {spec.model}"
    facts = f"{stands_in} · {seconds:g} s · {spec.aspect} · {spec.resolution}" + (
        " · audio" if spec.audio else ""
    )
    lines = [facts]
    if spec.subjects:
        lines.append("Subjects: " + "; ".join(_subject_line(s.name, s.description) for s in spec.subjects))
    if spec.negative:
        lines.append(f"Avoid: {spec.negative}")
    seed = spec.seed if spec.seed is not None else zlib.crc32(spec.prompt.encode("utf-8", "replace"))
    return Animatic(
        prompt=_title(spec),
        subtitle="\n".join(lines),
        seconds=seconds,
        width=width,
        height=height,
        audio=spec.audio,
        seed=seed,
        label=f"PREVIEW · {MODE_LABELS.get(spec.mode, spec.mode.value.upper())}",
        plate=_plate_path(spec),
    )


@dataclass
class _Render:
    future: Future
    progress: float = 0.0
    started: bool = False
    cancelled: bool = False


class _Cancelled(Exception):
    """Raised from the progress callback to stop a render when the provider closes."""


class PreviewProvider(Provider):
    backend = "preview"
    poll_seconds = 0.5  # a local render: look often, it costs nothing
    has_progress = True
    label = "preview (local renderer)"
    local = True
    free = True
    speaks_script = True  # the animatic shows the script; no speech is needed
    whole_seconds = True

    def __init__(self, work_dir: Path, *, max_workers: int = 1, scale: float = 1.0) -> None:
        self.work_dir = Path(work_dir)
        self.scale = scale
        self.work_dir.mkdir(parents=True, exist_ok=True)
        # rendering is CPU-bound (numpy, Pillow and libx264 release the GIL), so it stays off the loop
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="preview")
        self._renders: dict[str, _Render] = {}
        self._closed = False
        _remove_stale_parts(self.work_dir)

    def availability(self, model: str, mode: Mode = Mode.TEXT) -> Availability:
        return Availability(ok=True)  # an animatic can stand in for any model in any mode

    async def submit(self, spec: RenderSpec) -> str:
        task_id = f"pv-{uuid.uuid4().hex}"
        self._start(task_id, spec)
        return task_id

    async def status(self, task_id: str, spec: RenderSpec) -> TaskStatus:
        clip = self._clip(task_id)
        render = self._renders.get(task_id)
        if render is None:
            if clip.exists():  # finished before a restart
                return TaskStatus(TaskState.SUCCEEDED, progress=100)
            # unknown after a restart and never finished: render it again under the same id
            render = self._start(task_id, spec)
        if not render.future.done():
            state = TaskState.RUNNING if render.started else TaskState.PENDING
            return TaskStatus(state, progress=min(99, int(render.progress * 100)))
        if render.future.cancelled():
            return TaskStatus(
                TaskState.FAILED, error=Unavailable("The preview render was stopped by a shutdown.")
            )
        error = render.future.exception()
        if error is None:
            return TaskStatus(TaskState.SUCCEEDED, progress=100)
        if not isinstance(error, ProviderError):
            error = ProviderError(f"The preview renderer failed: {error}")
        return TaskStatus(TaskState.FAILED, error=error)

    async def download(self, task_id: str, status: TaskStatus, dest: Path) -> int:
        clip = self._clip(task_id)
        dest = Path(dest)
        if not clip.exists():
            if dest.exists() and dest.stat().st_size > 0:  # a repeated download after the move
                return dest.stat().st_size
            raise BadRequest(f"No finished preview for task {task_id}.")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(clip, dest)  # a rename on one filesystem, a chunked copy across filesystems
        self._renders.pop(task_id, None)
        return dest.stat().st_size

    def card_note(self, model: str) -> str:
        if model == "preview":
            return ""
        return f"No backend is configured for `{model}`: this is a local preview animatic."

    async def check(self) -> list[str]:
        problems = []
        if "libx264" not in av.codecs_available:
            problems.append("PyAV has no libx264 encoder: reinstall the `av` wheel from PyPI.")
        probe = self.work_dir / ".write-check"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            problems.append(f"The preview work directory {self.work_dir} is not writable: {exc.strerror}.")
        return problems

    async def aclose(self) -> None:
        """Stop: queued renders are dropped, running ones stop at their next progress report."""
        self._closed = True
        for render in self._renders.values():
            render.cancelled = True
        await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=True)

    def _clip(self, task_id: str) -> Path:
        if not TASK_ID.fullmatch(task_id):  # the id names a file: never let it name another one
            raise BadRequest(f"Not a preview task id: {task_id!r}.")
        return self.work_dir / f"{task_id}.mp4"

    def _start(self, task_id: str, spec: RenderSpec) -> _Render:
        if self._closed:
            raise Unavailable("The preview renderer is shutting down; try again in a moment.")
        plan = plan_animatic(spec, self.scale)
        dest = self._clip(task_id)
        render = _Render(future=Future())

        def report(fraction: float) -> None:
            if render.cancelled:
                raise _Cancelled(task_id)
            render.started, render.progress = True, fraction

        render.future = self._pool.submit(
            render_animatic,
            dest,
            prompt=plan.prompt,
            seconds=plan.seconds,
            width=plan.width,
            height=plan.height,
            subtitle=plan.subtitle,
            audio=plan.audio,
            seed=plan.seed,
            label=plan.label,
            plate=plan.plate,
            progress=report,
        )
        self._renders[task_id] = render
        return render


def _remove_stale_parts(work_dir: Path) -> None:
    """Temp files of renders a killed process left behind. Only old ones: a live render touches its
    file every frame, and another provider on the same directory may be rendering right now."""
    cutoff = time.time() - STALE_PART_SECONDS
    for part in work_dir.glob(".pv-*.part"):
        try:
            if part.stat().st_mtime < cutoff:
                part.unlink()
        except OSError:
            pass


def _seconds(spec: RenderSpec) -> float:
    if spec.mode is Mode.AVATAR:
        spoken = audio_seconds(spec.speech.path) if spec.speech and spec.speech.path else None
        if spoken is None and spec.script:
            spoken = spoken_seconds(spec.script)
        if spoken is not None:
            return round(min(MAX_SECONDS, max(2.0, spoken)), 1)
    seconds = spec.seconds if spec.seconds is not None else DEFAULT_SECONDS
    return float(min(MAX_SECONDS, max(MIN_SECONDS, seconds)))


def _title(spec: RenderSpec) -> str:
    source = spec.source.model if spec.source else "the previous clip"
    if spec.mode is Mode.EDIT:
        return f"Edit of {source}: {spec.prompt}"
    if spec.mode is Mode.EXTEND:
        return f"Extension of {source}: {spec.prompt}"
    if spec.mode is Mode.AVATAR:
        speaker = spec.subjects[0].name if spec.subjects else "The avatar"
        said = f"“{spec.script}”" if spec.script else "(speaks the attached audio)"
        return f"{speaker} says {said}" + (f" · {spec.prompt}" if spec.prompt else "")
    return spec.prompt


def _subject_line(name: str, description: str) -> str:
    return f"{name} ({description})" if description else name


def _plate_path(spec: RenderSpec) -> Path | None:
    """The picture the camera moves over: the input image, the avatar's portrait, or the source clip."""
    candidates = [spec.image]
    if spec.mode is Mode.AVATAR:
        candidates += [img for s in spec.subjects for img in s.images[:1]]
    if spec.mode in (Mode.EDIT, Mode.EXTEND) and spec.source:
        candidates.append(spec.source.media)
    for ref in candidates:
        if ref is not None and ref.path and Path(ref.path).is_file():
            return Path(ref.path)
    return None
