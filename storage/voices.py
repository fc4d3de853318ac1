"""Subjects' voices: the sample a person gave (`subject voice NAME`) and the custom voice each
backend made from it, cached so a voice is created once per backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage import backend_ids
from storage.clock import now_iso
from storage.db import Db


@dataclass(frozen=True)
class VoiceSample:
    path: str
    mime: str
    seconds: float
    url: str | None = None  # the public URL it came from (None for a Slack file)
    source: str = ""  # where it came from, for `subject show`


def set_sample(db: Db, subject_id: int, sample: VoiceSample, added_by: str) -> str | None:
    """Give a subject its voice sample, replacing any earlier one and the voices made from it;
    returns the replaced sample's path (for the caller to delete when unused), else None."""
    with db.atomic():
        old = db.one("SELECT path FROM subject_voice_samples WHERE subject_id = ?", [subject_id])
        db.execute("DELETE FROM subject_voices WHERE subject_id = ?", [subject_id])
        db.upsert(
            "subject_voice_samples",
            {
                "subject_id": subject_id,
                "path": sample.path,
                "mime": sample.mime,
                "seconds": sample.seconds,
                "url": sample.url,
                "source": sample.source,
                "added_by": added_by,
                "created_at": now_iso(),
            },
            pk="subject_id",
        )
    return old["path"] if old and old["path"] != sample.path else None


def sample_of(db: Db, subject_id: int) -> dict[str, Any] | None:
    """The subject's voice sample with the voice ids made from it (`voice_ids`: backend -> id)."""
    row = db.one("SELECT * FROM subject_voice_samples WHERE subject_id = ?", [subject_id])
    if row is None:
        return None
    voices = db.query("SELECT backend, voice_id FROM subject_voices WHERE subject_id = ?", [subject_id])
    return {**row, "voice_ids": {v["backend"]: v["voice_id"] for v in voices}}


def forget(db: Db, subject_id: int) -> str | None:
    """Drop a subject's sample and voices (the subject is being removed); returns the sample's path."""
    with db.atomic():
        old = db.one("SELECT path FROM subject_voice_samples WHERE subject_id = ?", [subject_id])
        db.execute("DELETE FROM subject_voices WHERE subject_id = ?", [subject_id])
        db.execute("DELETE FROM subject_voice_samples WHERE subject_id = ?", [subject_id])
    return old["path"] if old else None


def sample_in_use(db: Db, path: str) -> bool:
    """Whether any subject still has the sample stored at `path` (samples are kept by content hash)."""
    return db.one("SELECT 1 AS x FROM subject_voice_samples WHERE path = ?", [path]) is not None


def save_voice(db: Db, subject_id: int, backend: str, voice_id: str, sample_path: str) -> None:
    """Remember the backend's voice id, unless the subject is gone or its sample was replaced
    while the voice was being made (that voice speaks the old sample)."""
    current = db.one("SELECT path FROM subject_voice_samples WHERE subject_id = ?", [subject_id])
    if current is not None and current["path"] == sample_path:
        backend_ids.remember(db, "subject_voices", subject_id, backend, voice_id)


def voice_ids(db: Db, subject_ids: list[int], backend: str) -> dict[int, str]:
    """Subject id -> the backend's voice id, for those of `subject_ids` that have one."""
    return backend_ids.ids_at(db, "subject_voices", subject_ids, backend)
