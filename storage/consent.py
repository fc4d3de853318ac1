"""Consent for a subject's likeness and voice (who confirmed having the person's permission, when, a
note), every change audited; requests held until their requester confirms it (consent offers)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from storage import audit
from storage.clock import now_iso
from storage.db import Db
from storage.states import JOB_UNFINISHED

OFFER_HOURS = 24  # a held request older than this is not run: its inputs and prices may have moved on


def consent_of(db: Db, subject_id: int) -> dict[str, Any] | None:
    """The subject's standing consent ({given_by, given_at, note}), or None."""
    return db.one("SELECT given_by, given_at, note FROM subject_consents WHERE subject_id = ?", [subject_id])


def consents_of(db: Db, subject_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Subject id -> standing consent, for those of `subject_ids` that have one."""
    if not subject_ids:
        return {}
    marks = ",".join("?" for _ in subject_ids)
    rows = db.query(
        f"SELECT subject_id, given_by, given_at, note FROM subject_consents WHERE subject_id IN ({marks})",
        list(subject_ids),
    )
    return {r.pop("subject_id"): r for r in rows}


def give(
    db: Db, subject: dict[str, Any], user_id: str, note: str = "", via: str = "command"
) -> dict[str, Any]:
    """Record (or renew) `user_id`'s confirmation that they have permission for `subject`, with an
    audit row naming how it was given (`via`: command, button, form), in one transaction; returns
    the consent as stored."""
    consent = {"given_by": user_id, "given_at": now_iso(), "note": note}
    with db.atomic():
        db.upsert(
            "subject_consents",
            {"subject_id": subject["id"], "team_id": subject["team_id"] or "", "channel_id": subject["channel_id"],
             **consent},
            pk="subject_id",
        )  # fmt: skip
        detail = f"{{{subject['name']}}} via {via}" + (f": {note}" if note else "")
        audit.record(db, subject["team_id"] or "", subject["channel_id"], user_id, "consent", detail)
    return consent


def withdraw(db: Db, subject: dict[str, Any], user_id: str) -> bool:
    """Withdraw the subject's consent, with an audit row; False when it had none (nothing recorded)."""
    with db.atomic():
        gone = db.execute("DELETE FROM subject_consents WHERE subject_id = ?", [subject["id"]]).rowcount
        if gone:
            audit.record(
                db, subject["team_id"] or "", subject["channel_id"], user_id, "consent withdrawn",
                f"{{{subject['name']}}}",
            )  # fmt: skip
    return bool(gone)


def subject_in_channel(db: Db, subject_id: int, team_id: str, channel_id: str) -> dict[str, Any] | None:
    """The subject with this id (id, team_id, channel_id, name), if it is still in this channel."""
    return db.one(
        "SELECT id, team_id, channel_id, name FROM subjects WHERE id = ? AND team_id = ? AND channel_id = ?",
        [subject_id, team_id, channel_id],
    )


def unfinished_jobs_using(db: Db, team_id: str, channel_id: str, subject_id: int) -> list[dict[str, Any]]:
    """The channel's unfinished jobs whose request carries the subject (its images or voice), or
    whose request names it among `likeness` (a lip-sync of a clip that shows it)."""
    marks = ",".join("?" for _ in JOB_UNFINISHED)
    rows = db.query(
        f"SELECT id, request FROM jobs WHERE team_id = ? AND channel_id = ? AND state IN ({marks}) ORDER BY id",
        [team_id, channel_id, *JOB_UNFINISHED],
    )
    found = []
    for row in rows:
        request = json.loads(row["request"] or "{}")
        ids = {s.get("id") for s in request.get("subjects") or ()} | set(request.get("likeness") or ())
        if subject_id in ids:
            found.append({"id": row["id"]})
    return found


# ---- requests held for consent ---------------------------------------------------------------------
def hold(
    db: Db, token: str, team_id: str, channel_id: str, user_id: str, kind: str, request: dict[str, Any]
) -> None:
    """Keep a request that waits for its requester to confirm consent, under an unguessable token."""
    db.execute(
        "INSERT INTO consent_offers (token, team_id, channel_id, user_id, kind, request, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [token, team_id, channel_id, user_id, kind, json.dumps(request), now_iso()],
    )


def take_offer(
    db: Db, token: str, team_id: str, channel_id: str, user_id: str, now: datetime | None = None
) -> dict[str, Any] | None:
    """The held request behind `token`, once: only for the person who made it, in its own workspace
    and channel, within OFFER_HOURS, and only the first time it is taken (None otherwise)."""
    since = ((now or datetime.now(UTC)) - timedelta(hours=OFFER_HOURS)).isoformat(timespec="milliseconds")
    with db.atomic():
        row = db.one(
            f"SELECT token, kind, request FROM consent_offers WHERE token = ? AND team_id = ? AND channel_id = ? "
            f"AND user_id = ? AND used_at IS NULL AND created_at >= ?{db.for_update}",
            [token, team_id, channel_id, user_id, since],
        )
        if row is None:
            return None
        taken = db.execute(
            "UPDATE consent_offers SET used_at = ? WHERE token = ? AND used_at IS NULL", [now_iso(), token]
        ).rowcount
    return {"kind": row["kind"], "request": json.loads(row["request"])} if taken else None
