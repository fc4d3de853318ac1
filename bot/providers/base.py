"""The provider interface every video backend implements, and the values that cross it.

A provider turns a `RenderSpec` into a task at the backend (`submit`), reports the task's
`TaskStatus` (`status`, or `status_many` for a batch), and streams the finished clip to a file
(`download`). What a backend can do (is it free, does it speak a script, does it send callbacks)
is asked through its capability attributes, never through its name. It never touches Slack or
the database; errors are raised as `ProviderError`s (see `bot.providers.errors`).
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.providers.discovery import BackendModels, ModelState
from bot.providers.errors import ProviderError
from bot.providers.webhooks import CallbackRejected


@dataclass(frozen=True)
class MediaRef:
    """A piece of input media. `url` is a public https URL the backend may fetch itself;
    `path` is a local copy (already fetched and checked) the backend may inline as base64/data URI."""

    url: str | None = None
    path: str | None = None
    mime: str = "application/octet-stream"


@dataclass(frozen=True)
class SubjectRef:
    """A channel subject as a backend needs it: frontal image first, then references."""

    name: str
    description: str
    images: tuple[MediaRef, ...]
    # element ids already created at a backend, e.g. {"kling": "123"} (cached per subject and backend)
    element_ids: dict[str, str] = field(default_factory=dict)
    subject_id: int | None = None
    voice: MediaRef | None = None  # a 5-30 s sample of the subject's voice, when it has one
    voice_ids: dict[str, str] = field(default_factory=dict)  # custom voices made from it, per backend


@dataclass(frozen=True)
class SourceClip:
    """An earlier clip an edit/extend works on: the backend's own ids/URLs while valid, and our file."""

    model: str
    backend: str
    task_id: str | None = None
    result_url: str | None = None
    media: MediaRef | None = None
    seconds: float | None = None
    # the backend's handle to continue this clip's conversation (a Gemini interaction id) while it
    # lasts: an edit or extension sent with it keeps whatever the instruction does not name
    continuation: str | None = None


class Mode(enum.StrEnum):
    TEXT = "text"  # text-to-video
    IMAGE = "image"  # first-frame image-to-video
    EDIT = "edit"  # natural-language edit of a source clip (Kling O1 base_video, Sora edit/remix)
    EXTEND = "extend"  # continue a source clip (Kling O1 feature_video, Sora extension)
    AVATAR = "avatar"  # talking avatar: portrait + script or audio
    MOTION = "motion"  # motion control: the character in `image` performs `motion`'s moves
    LIPSYNC = "lipsync"  # a source clip's face says `script` (or `speech`)


@dataclass(frozen=True)
class RenderSpec:
    """Everything a backend needs to render one take. `model` is the user's model id (catalogue)."""

    model: str
    mode: Mode
    prompt: str
    seconds: int | None = None
    aspect: str = "16:9"
    resolution: str = "720p"
    audio: bool = False
    seed: int | None = None
    negative: str | None = None
    image: MediaRef | None = None
    source: SourceClip | None = None
    subjects: tuple[SubjectRef, ...] = ()
    script: str | None = None  # avatar: text to speak
    speech: MediaRef | None = None  # avatar: audio file to speak
    speech_seconds: float | None = None  # lip-sync: how long `speech` (or the script) lasts
    keep_audio: bool = True  # edits: keep the source clip's sound
    external_id: str | None = None  # our take id: idempotency / correlation at the backend
    callback_url: str | None = None  # webhook URL when serving HTTP with a public base URL
    shots: tuple[tuple[int, str], ...] = ()  # multi-shot: (seconds, prompt) per shot, in order
    end_image: MediaRef | None = None  # the last frame, where the model takes one
    reference_video: MediaRef | None = None  # camera/style reference (Kling omni `feature`)
    motion: MediaRef | None = None  # motion control: the video whose moves are copied
    orientation: str = "video"  # motion control: whose orientation the result keeps


class SourceInput(enum.StrEnum):
    """How a backend takes the clip an edit or extension works on."""

    OWN_TASK = "own_task"  # only a clip it made itself, by its own task id
    URL = "url"  # fetches the clip from a URL (another backend's result URL while it lasts)
    URL_OR_FILE = "url_or_file"  # a result URL while it lasts, else our copy of the file
    FILE = "file"  # our copy of the file
    # continues the clip's own conversation while the backend keeps it, else our copy of the file
    CONVERSATION = "conversation"


class TaskState(enum.StrEnum):
    PENDING = "pending"  # accepted, waiting for a slot
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class TaskStatus:
    state: TaskState
    progress: int | None = None  # 0..100 when the backend reports it; None when it has none
    result_url: str | None = None  # where the clip can be fetched (may be None if `download` knows)
    cost_usd: float | None = None  # the backend's own figure for this task, when it reports one
    error: ProviderError | None = None  # set when state is FAILED (a Refused for moderation, …)
    continuation: str | None = None  # what a later edit of this clip continues from (kept per take)

    @property
    def done(self) -> bool:
        return self.state in (TaskState.SUCCEEDED, TaskState.FAILED)


@dataclass(frozen=True)
class Availability:
    """Whether a backend serves a model here, and if not, why and what to use instead."""

    ok: bool
    reason: str = ""
    suggestion: str | None = None


class Provider(abc.ABC):
    """One video backend. Implementations take an injected `httpx.AsyncClient` (tests point it at a
    stand-in); all backend-specific facts (paths, field names, model ids) live in its own module."""

    backend: str = ""  # "preview" | "kling" | "aimlapi" | "openai"
    has_progress: bool = False  # does status() report a percentage?
    # a local backend polls at its own pace (first look at once, then every `poll_seconds`);
    # None: a remote backend, polled from DAILIES_POLL_SECONDS with backoff
    poll_seconds: float | None = None
    max_batch: int = 1  # how many tasks status_many can ask about in one call
    # What the backend can do, asked by code outside `bot.providers` instead of its name:
    label: str = ""  # how the job card names it ("" = `backend`)
    local: bool = False  # renders on this machine (no key, no network); stands in for any model
    free: bool = False  # renders without spend: estimates and costs are $0
    speaks_script: bool = False  # an avatar's script is turned into speech here (else it needs audio)
    result_url_seconds: float | None = None  # how long a finished clip stays at its result URL
    sends_callbacks: bool = False  # posts completion callbacks to /webhooks/<backend>
    source_input: SourceInput = SourceInput.FILE  # how an edit or extension gets its clip
    edits_take_images: bool = True  # an edit or extension may carry a reference image
    whole_seconds: bool = False  # renders whole seconds only (an edit of a clip rounds its length)
    lip_sync: bool = False  # makes a clip's face say a line (Mode.LIPSYNC)
    # how long the backend keeps a clip's conversation for an edit to continue (None: it keeps none)
    continuation_seconds: float | None = None
    # publishes the models it serves (`list_models`): a model none of whose ids it lists is
    # unavailable here; without a list a model's state is unknown until the backend says it is gone
    publishes_models: bool = False
    # what the database knows of this backend's model list, kept current by the model watch
    models: BackendModels = BackendModels()

    @abc.abstractmethod
    def availability(self, model: str, mode: Mode = Mode.TEXT) -> Availability:
        """Can this backend render `model` in `mode`? Pure: no I/O."""

    @abc.abstractmethod
    async def submit(self, spec: RenderSpec) -> str:
        """Create the task; return the backend's task id. Raises ProviderError."""

    @abc.abstractmethod
    async def status(self, task_id: str, spec: RenderSpec) -> TaskStatus:
        """Where the task is now. Transport problems raise ProviderError (Retryable ones are retried)."""

    async def status_many(self, tasks: Sequence[tuple[str, RenderSpec]]) -> dict[str, TaskStatus]:
        """Status of several tasks; backends with a batch query override this."""
        return {task_id: await self.status(task_id, spec) for task_id, spec in tasks}

    @abc.abstractmethod
    async def download(self, task_id: str, status: TaskStatus, dest: Path) -> int:
        """Stream the finished clip to `dest` (never whole in memory); return its size in bytes."""

    def source_input_for(self, model: str) -> SourceInput:
        """How this backend takes the clip an edit or extension of `model` works on (a backend
        serving two APIs may take it differently per model)."""
        return self.source_input

    def refusal(self, spec: RenderSpec) -> str | None:
        """Why this backend would refuse `spec` as asked, when that is known from the request alone
        (so the person is told before a job exists); None when nothing is known against it."""
        return None

    def known_to_serve(self, model: str) -> bool:
        """Whether this backend is known to render `model` here (the final render prefers only
        those); a backend whose model list is unknown answers from `availability`."""
        return self.availability(model).ok

    def provider_ids(self, model: str, mode: Mode = Mode.TEXT) -> tuple[str, ...]:
        """The ids this backend could know `model` in `mode` by, most preferred first (what its
        model list is checked for); () when it names none."""
        return ()

    def model_state(self, model: str, mode: Mode = Mode.TEXT) -> ModelState:
        """`model` here now, from the backend's model list and its "gone" answers."""
        return self.models.state(self.provider_ids(model, mode))

    def sent_id(self, model: str, mode: Mode = Mode.TEXT) -> str | None:
        """The provider id a submit of `model` sends now: the first candidate not known gone."""
        return self.model_state(model, mode).provider_id

    async def list_models(self) -> frozenset[str]:
        """The provider ids the backend lists now (every page). Only asked of backends with
        `publishes_models`; raises ProviderError when the list cannot be read."""
        raise NotImplementedError(f"{self.backend} publishes no model list")

    async def find(self, spec: RenderSpec) -> str | None:
        """The task an earlier submit of `spec` created (by `spec.external_id`), or None: lets a
        restart after a crash mid-submit pick the task up instead of paying for it twice."""
        return None

    async def ensure_elements(self, spec: RenderSpec) -> dict[str, str]:
        """Subject name -> this backend's element id for the spec's subjects, creating the ones
        that have none in `element_ids[backend]` (the caller stores new ids, so later jobs reuse
        them). Backends without elements, or specs that use none, give {}."""
        return {}

    async def ensure_voices(self, spec: RenderSpec) -> dict[str, str]:
        """Subject name -> this backend's custom voice id for the spec's subjects with a voice
        sample, creating the ones missing from `voice_ids[backend]` (the caller stores new ids).
        Backends without custom voices, or specs that use none, give {}."""
        return {}

    def parse_callback(self, headers: Mapping[str, str], raw: bytes) -> str | None:
        """The backend's task id a completion callback is about, or None when it is not about a
        task. Raises `CallbackRejected` for a bad signature or body. Only called on backends
        with `sends_callbacks`; the callback is a hint to poll, never the result."""
        raise CallbackRejected(404, f"{self.backend} sends no callbacks")

    def card_note(self, model: str) -> str:
        """A line the job card shows about this backend rendering `model` ("" for none)."""
        return ""

    async def check(self) -> list[str]:
        """`dailies doctor`: problems with this backend's configuration (empty list = fine)."""
        return []

    async def aclose(self) -> None:
        return None
