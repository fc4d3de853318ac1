"""Workspaces that removed Dailies, and the purge of everything one owned once its retention ends:
subjects and their images, voices and consent, review notes, jobs, takes, cards, approvals, audit, settings, Slack
budget rows and the installation. A workspace that installs again before then keeps its data."""

from __future__ import annotations

from storage.db import Db

_SHOTS = "(SELECT id FROM shots WHERE team_id = ?)"
_JOBS = "(SELECT id FROM jobs WHERE team_id = ?)"
_SUBJECTS = "(SELECT id FROM subjects WHERE team_id = ?)"
# what a workspace owns, rows that point at others first; each clause takes the team id once
OWNED: tuple[tuple[str, str], ...] = (
    ("transitions", f"job_id IN {_JOBS}"),
    ("takes", f"shot_id IN {_SHOTS}"),
    ("subject_images", f"subject_id IN {_SUBJECTS}"),
    ("subject_elements", f"subject_id IN {_SUBJECTS}"),
    ("subject_voice_samples", f"subject_id IN {_SUBJECTS}"),
    ("subject_voices", f"subject_id IN {_SUBJECTS}"),
    ("review_notes", "team_id = ?"),
    ("subject_consents", f"subject_id IN {_SUBJECTS}"),
    ("consent_offers", "team_id = ?"),
    ("approvals", "team_id = ?"),
    ("messages", "team_id = ?"),
    ("workflow_steps", "team_id = ?"),
    ("audit", "team_id = ?"),
    ("campaigns", "team_id = ?"),
    ("event_inbox", "team_id = ?"),
    ("jobs", "team_id = ?"),
    ("shots", "team_id = ?"),
    ("subjects", "team_id = ?"),
    ("channels", "team_id = ?"),
    ("slack_buckets", "team_id = ?"),
    ("slack_installations", "team_id = ?"),
    ("departures", "team_id = ?"),
)
# files a workspace's rows name under DAILIES_MEDIA_DIR (subject images are stored by content hash,
# so one file may serve two workspaces: it goes only when no other row names it)
_FILES = (
    ("subject_images", "path", "subject_id", _SUBJECTS),
    ("subject_voice_samples", "path", "subject_id", _SUBJECTS),
    ("takes", "media_path", "shot_id", _SHOTS),
)


def departed(db: Db, team_id: str, at: float) -> None:
    """The workspace removed Dailies at `at` (Unix time): its purge is due after the retention."""
    db.upsert("departures", {"team_id": team_id, "departed_at": at}, pk="team_id")


def returned(db: Db, team_id: str) -> bool:
    """The workspace installed Dailies again: nothing of it is purged. True if it had departed."""
    return db.execute("DELETE FROM departures WHERE team_id = ?", [team_id]).rowcount > 0


def due(db: Db, departed_before: float) -> list[str]:
    """Workspaces that departed before `departed_before` and were not installed since."""
    rows = db.query(
        "SELECT team_id FROM departures WHERE departed_at <= ? AND team_id NOT IN "
        "(SELECT team_id FROM slack_installations) ORDER BY departed_at",
        [departed_before],
    )
    return [r["team_id"] for r in rows]


def purge(db: Db, team_id: str) -> tuple[dict[str, int], list[str]]:
    """Delete every row the workspace owns, in one transaction: (rows deleted per table, the media
    files no remaining row names, for the caller to remove from disk)."""
    with db.atomic():
        files: set[str] = set()
        for table, column, key, owner in _FILES:
            rows = db.query(f"SELECT {column} AS path FROM {table} WHERE {key} IN {owner}", [team_id])
            files |= {r["path"] for r in rows if r["path"]}
        counts = {}
        for table, where in OWNED:
            counts[table] = db.execute(f"DELETE FROM {table} WHERE {where}", [team_id]).rowcount
        still_named = set()
        for table, column, _key, _owner in _FILES:
            still_named |= {
                r["path"]
                for r in db.query(f"SELECT {column} AS path FROM {table} WHERE {column} IS NOT NULL")
            }
    return {t: n for t, n in counts.items() if n}, sorted(files - still_named)
