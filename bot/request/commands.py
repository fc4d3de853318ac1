"""What the grammar returns: one frozen value per `/video` command and thread reply, and the limits
it enforces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from bot.request.catalogue import shipped_catalogue

MAX_PROMPT = 2500  # Kling 2.6 / O1 / AI/ML API prompt limit, the lowest among the backends
MAX_INPUT = 10_000  # longer text is refused before any work
MAX_SCRIPT = 1000  # Kling's text-to-speech limit for avatar scripts
MAX_DESCRIPTION = 300
MAX_SUBJECTS = 8
MAX_TAKES = 4
MAX_SEED = 2**31 - 1
MAX_SECONDS = shipped_catalogue().max_seconds  # the forms' limit
MAX_USD = 1_000_000.0


@dataclass(frozen=True)
class VideoRequest:
    prompt: str
    model: str | None = None  # None = the channel's default
    seconds: int | None = None
    aspect: str | None = None
    resolution: str | None = None
    takes: int = 1
    audio: bool | None = None
    image_url: str | None = None
    seed: int | None = None
    negative: str | None = None
    subjects: tuple[str, ...] = ()  # lowercased, in order of appearance, no repeats
    shots: tuple[tuple[int, str], ...] = ()  # multi-shot: (seconds, prompt) per shot
    end_image_url: str | None = None  # the last frame
    video_url: str | None = None  # a reference video for camera and style
    motion_url: str | None = None  # motion control: the video whose moves are copied
    orient: str | None = None  # motion control: "image" | "video" (None = video)


@dataclass(frozen=True)
class Help:
    topic: str | None = None  # a key of bot.request.help.HELP_TOPICS


@dataclass(frozen=True)
class Models:
    """`/video models`: the model comparison."""


@dataclass(frozen=True)
class Jobs:
    """`/video jobs`: the channel's jobs in flight."""


@dataclass(frozen=True)
class CampaignForm:
    """`/video campaign`: the campaign form."""


@dataclass(frozen=True)
class Cancel:
    job_id: str


@dataclass(frozen=True)
class Spend:
    """`/video spend`: what the channel has spent."""


@dataclass(frozen=True)
class Audit:
    """`/video audit`: the channel's recent audit trail."""


@dataclass(frozen=True)
class SubjectAdd:
    name: str
    image_urls: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class SubjectList:
    """`/video subject list`: the channel's saved subjects."""


@dataclass(frozen=True)
class SubjectShow:
    name: str


@dataclass(frozen=True)
class SubjectRemove:
    name: str


@dataclass(frozen=True)
class SubjectRename:
    old: str
    new: str


@dataclass(frozen=True)
class SubjectVoice:
    """`/video subject voice NAME [AUDIO_URL]`: a 5-30 s sample (or an attached one) as the voice."""

    name: str
    audio_url: str | None = None


@dataclass(frozen=True)
class SubjectConsent:
    """`/video subject consent NAME [note]`: the asker confirms they have the person's permission to
    use this subject's likeness and voice; `--withdraw` takes it back."""

    name: str
    note: str = ""
    withdraw: bool = False


@dataclass(frozen=True)
class SettingsShow:
    """`/video settings`: the channel's settings."""


@dataclass(frozen=True)
class SettingsSet:
    key: str  # "model" | "final-model" | "budget" | "job-limit" | "approvers" | "approval"
    value: str | float | tuple[str, ...] | None  # see bot.request.settings


@dataclass(frozen=True)
class Avatar:
    subject: str
    script: str | None = None  # exactly one of script / audio_url is set
    audio_url: str | None = None
    model: str | None = None  # None = kling-avatar-pro


@dataclass(frozen=True)
class ThreadInstruction:
    kind: str  # "edit" | "again" | "extend" | "final" | "save_subject" | "lipsync"
    text: str = ""  # the edit/extend instruction, the line to lip-sync, or save_subject's name
    version: int | None = None  # "v2: warmer light" -> 2
    model: str | None = None
    seconds: int | None = None
    audio: bool | None = None
    image_url: str | None = None
    takes: int = 1  # "--n 3": that many versions of the one instruction
    audio_url: str | None = None  # lipsync: the speech to sync instead of a line
    voice: str | None = None  # lipsync: the subject whose voice says the line
    aspect: str | None = None  # a re-render at this aspect ("vertical", "for TikTok")
    reading: str = ""  # how a plain request was read, for the card ("re-render at 9:16")
    same_seed: bool = False  # a campaign's `for 9:16`: the version again with its own seed


Command = Union[  # noqa: UP007 (a runtime alias that isinstance() and match can use)
    VideoRequest, Help, Models, Jobs, Cancel, Spend, Audit, SubjectAdd, SubjectList, SubjectShow,
    SubjectRemove, SubjectRename, SubjectVoice, SubjectConsent, SettingsShow, SettingsSet, Avatar, CampaignForm,
]  # fmt: skip
