"""A channel's subject library (a channel of one workspace: team and channel id): subjects, their reference images and their cached backend elements."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage import backend_ids
from storage.clock import now_iso
from storage.db import Db
from storage.states import JOB_UNFINISHED


class SubjectExists(Exception):
    """A subject of that name (case-insensitive) is already in the channel."""


@dataclass(frozen=True)
class NewImage:
    sha256: str
    path: str
    mime: str
    width: int
    height: int
    source: str = ""  # where it came from: the URL, "Slack file NAME", or "v2 of a clip"


def _key(name: str) -> str:
    return name.strip().lower()


def get_subject(db: Db, team_id: str, channel_id: str, name: str) -> dict[str, Any] | None:
    """The subject called `name` in this channel (any case), with its images and element ids."""
    rows = list(
        db["subjects"].rows_where(
            "team_id = ? AND channel_id = ? AND name_key = ?", [team_id, channel_id, _key(name)]
        )
    )
    return _with_details(db, rows[0]) if rows else None


def _with_details(db: Db, row: dict[str, Any]) -> dict[str, Any]:
    subject = dict(row)
    subject["images"] = list(
        db["subject_images"].rows_where("subject_id = ?", [row["id"]], order_by="position")
    )
    subject["element_ids"] = {
        e["backend"]: e["element_id"]
        for e in db["subject_elements"].rows_where("subject_id = ?", [row["id"]])
    }
    return subject


def add_subject(
    db: Db, team_id: str, channel_id: str, name: str, description: str, added_by: str, images: list[NewImage]
) -> dict[str, Any]:
    """Insert a subject and its images in one transaction (none of it stays if any write fails);
    raises SubjectExists."""
    with db.atomic():
        if get_subject(db, team_id, channel_id, name) is not None:
            raise SubjectExists(name)
        subject_id = db.insert(
            "subjects",
            {
                "team_id": team_id,
                "channel_id": channel_id,
                "name": name,
                "name_key": _key(name),
                "description": description,
                "added_by": added_by,
                "created_at": now_iso(),
            },
        )
        db["subject_images"].insert_all(
            {"subject_id": subject_id, "position": i, **vars(img)} for i, img in enumerate(images)
        )
    added = get_subject(db, team_id, channel_id, name)
    assert added is not None  # inserted above
    return added


def list_subjects(db: Db, team_id: str, channel_id: str) -> list[dict[str, Any]]:
    """The channel's subjects by name, each with `image_count`."""
    return [
        dict(row)
        for row in db.query(
            "SELECT s.*, (SELECT count(*) FROM subject_images i WHERE i.subject_id = s.id) AS image_count "
            "FROM subjects s WHERE s.team_id = ? AND s.channel_id = ? ORDER BY s.name_key",
            [team_id, channel_id],
        )
    ]


def remove_subject(db: Db, team_id: str, channel_id: str, name: str) -> dict[str, Any] | None:
    """Delete a subject (and its images' rows and elements); returns what was removed, or None."""
    subject = get_subject(db, team_id, channel_id, name)
    if subject is None:
        return None
    with db.atomic():
        db["subject_voices"].delete_where("subject_id = ?", [subject["id"]])
        db["subject_voice_samples"].delete_where("subject_id = ?", [subject["id"]])
        db["subject_elements"].delete_where("subject_id = ?", [subject["id"]])
        db["subject_images"].delete_where("subject_id = ?", [subject["id"]])
        db["subjects"].delete(subject["id"])
    return subject


def rename_subject(db: Db, team_id: str, channel_id: str, old: str, new: str) -> dict[str, Any] | None:
    """Rename; None when `old` is unknown; raises SubjectExists when `new` is taken by another."""
    subject = get_subject(db, team_id, channel_id, old)
    if subject is None:
        return None
    other = get_subject(db, team_id, channel_id, new)
    if other is not None and other["id"] != subject["id"]:
        raise SubjectExists(new)
    db["subjects"].update(subject["id"], {"name": new, "name_key": _key(new)})
    return get_subject(db, team_id, channel_id, new)


def image_in_use(db: Db, path: str) -> bool:
    """Whether any subject (in any channel) or any unfinished job's stored request still refers to
    the stored file at `path` (a queued job keeps using a subject's images after it is removed)."""
    if db.execute("SELECT 1 FROM subject_images WHERE path = ? LIMIT 1", [path]).fetchone():
        return True
    marks = ",".join("?" for _ in JOB_UNFINISHED)
    row = db.execute(
        f"SELECT 1 FROM jobs WHERE state IN ({marks}) AND strpos(request, ?) > 0 LIMIT 1",
        [*JOB_UNFINISHED, json.dumps(path)],
    ).fetchone()
    return row is not None


def save_element(db: Db, subject_id: int, backend: str, element_id: str) -> None:
    """Remember the backend's element id for a subject, so the next job reuses it (not for a
    subject removed while a job that uses it was queued)."""
    if db.execute("SELECT 1 FROM subjects WHERE id = ?", [subject_id]).fetchone():
        backend_ids.remember(db, "subject_elements", subject_id, backend, element_id)


def element_ids(db: Db, subject_ids: list[int], backend: str) -> dict[int, str]:
    """Subject id -> the backend's element id, for those of `subject_ids` that have one."""
    return backend_ids.ids_at(db, "subject_elements", subject_ids, backend)


def channels_of_user(db: Db, team_id: str, user_id: str) -> list[str]:
    """Channels of the team where this user asked Dailies for something, most recent first."""
    rows = db.execute(
        "SELECT channel_id, max(created_at) AS last FROM jobs WHERE team_id = ? AND user_id = ? "
        "GROUP BY channel_id ORDER BY last DESC LIMIT 20",
        [team_id, user_id],
    ).fetchall()
    return [r[0] for r in rows]
