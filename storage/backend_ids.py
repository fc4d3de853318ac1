"""The ids a backend gave a subject (its element, its custom voice), one per subject and backend, so
each is made once: the two tables `subject_elements` and `subject_voices` share this shape."""

from __future__ import annotations

from storage.clock import now_iso
from storage.db import Db

# table -> the column holding the backend's id; the only tables (and so the only SQL names) used here
_COLUMNS = {"subject_elements": "element_id", "subject_voices": "voice_id"}


def ids_at(db: Db, table: str, subject_ids: list[int], backend: str) -> dict[int, str]:
    """Subject id -> the backend's id in `table`, for those of `subject_ids` that have one."""
    if not subject_ids:
        return {}
    column = _COLUMNS[table]
    marks = ",".join("?" for _ in subject_ids)
    rows = db.query(
        f"SELECT subject_id, {column} AS id FROM {table} WHERE backend = ? AND subject_id IN ({marks})",
        [backend, *subject_ids],
    )
    return {r["subject_id"]: r["id"] for r in rows}


def remember(db: Db, table: str, subject_id: int, backend: str, backend_id: str) -> None:
    """Store (or replace) the backend's id for the subject in `table`."""
    db.upsert(
        table,
        {"subject_id": subject_id, "backend": backend, _COLUMNS[table]: backend_id, "created_at": now_iso()},
        pk=("subject_id", "backend"),
    )
