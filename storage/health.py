"""Is the database there and writable: the health check's read and the doctor's write."""

from __future__ import annotations

from storage.db import Db


def ping(db: Db) -> None:
    """A trivial read: raises when the database cannot answer."""
    db.execute("SELECT 1").fetchone()


def check_writable(db: Db) -> None:
    """Create and drop a scratch table: raises when the database cannot be written."""
    with db.atomic():
        db.execute("CREATE TABLE IF NOT EXISTS _doctor (x integer)")
        db.execute("DROP TABLE _doctor")
