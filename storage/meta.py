"""Facts about this installation kept in the database (`meta`): its installation id."""

from __future__ import annotations

from storage.db import Db


def installation_id(db: Db) -> str:
    """A random id made once with the schema (migration m007), part of every id Dailies chooses
    for a provider, so installations sharing a provider account never collide."""
    value: str = db.execute("SELECT value FROM meta WHERE key = 'installation_id'").fetchone()[0]
    return value
