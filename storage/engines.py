"""Opening the database the settings name: PostgreSQL for `DATABASE_URL`, else the SQLite file,
migrated before anything uses it. The engines import the facade (storage.db); this module imports
them, so the facade never imports its own engines."""

from __future__ import annotations

from pathlib import Path

from storage.db import Db
from storage.migrations import migrate


def connect(path: str | Path = "./dailies.db", *, database_url: str = "") -> Db:
    """Open and migrate PostgreSQL when `database_url` is set, else the SQLite file at `path`
    (":memory:" for tests). Raises StorageError with a message for the operator."""
    if database_url:
        from storage.postgres import open_postgres  # psycopg is only imported when it is used

        db: Db = open_postgres(database_url)
    else:
        from storage.sqlite import open_sqlite

        db = open_sqlite(path)
    try:
        migrate(db)
    except db.Error as exc:
        db.close()
        raise db.unusable(exc) from None
    return db
