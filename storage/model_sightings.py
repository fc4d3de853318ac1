"""What every replica knows of the backends' model lists: when each list was last read, and per
provider id when it was last listed, missing since, or answered gone. Shared, not per workspace."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from storage.db import Db


def record_read(db: Db, backend: str, at: str, listed: Iterable[str], unlisted: Iterable[str]) -> None:
    """A list read at `at`: the ids it had are seen now, the catalogue's others are missing since
    the first read without them; one transaction, so no replica sees half a read."""
    with db.atomic():
        for provider_id in listed:
            db.execute(
                "INSERT INTO model_sightings (backend, provider_id, last_seen) VALUES (?, ?, ?) "
                "ON CONFLICT (backend, provider_id) DO UPDATE SET last_seen = excluded.last_seen, "
                "missing_since = NULL",
                [backend, provider_id, at],
            )
        for provider_id in unlisted:
            db.execute(
                "INSERT INTO model_sightings (backend, provider_id, missing_since) VALUES (?, ?, ?) "
                "ON CONFLICT (backend, provider_id) DO UPDATE SET missing_since = "
                "COALESCE(model_sightings.missing_since, excluded.missing_since)",
                [backend, provider_id, at],
            )
        db.upsert("model_lists", {"backend": backend, "read_at": at}, pk="backend")


def mark_gone(db: Db, backend: str, provider_id: str, at: str, held_since: str) -> None:
    """The backend answered that `provider_id` is gone. A mark made after `held_since` stands (its
    first time is kept); an older one, whose hold has passed, starts again from `at`."""
    db.execute(
        "INSERT INTO model_sightings (backend, provider_id, gone_at) VALUES (?, ?, ?) "
        "ON CONFLICT (backend, provider_id) DO UPDATE SET gone_at = CASE "
        "WHEN model_sightings.gone_at IS NULL OR model_sightings.gone_at < ? THEN excluded.gone_at "
        "ELSE model_sightings.gone_at END",
        [backend, provider_id, at, held_since],
    )


def everything(db: Db) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """({backend: last list read}, every sighting row): the whole state, small by design."""
    reads = {r["backend"]: r["read_at"] for r in db.query("SELECT backend, read_at FROM model_lists")}
    rows = db.query(
        "SELECT backend, provider_id, last_seen, missing_since, gone_at FROM model_sightings "
        "ORDER BY backend, provider_id"
    )
    return reads, rows
