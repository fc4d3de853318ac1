"""Which replica runs which take: claims with a lease, renewed while the take runs; a take whose
holder stopped renewing (killed, partitioned) is claimed by another replica, which resumes it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Collection

from storage.db import Db
from storage.states import TAKE_ACTIVE

_ACTIVE = ",".join("?" * len(TAKE_ACTIVE))
_CHUNK = 500  # ids per IN (...) list


def claim_takes(db: Db, replica: str, now: float, lease_seconds: float, limit: int) -> list[int]:
    """Claim up to `limit` active takes that no replica holds (new ones, or ones whose holder's
    lease lapsed), oldest first; returns their ids. On PostgreSQL, replicas claiming at the same
    moment skip each other's rows (SKIP LOCKED); SQLite has one writer at a time."""
    if limit <= 0:
        return []
    rows = db.execute(
        "WITH free AS MATERIALIZED (SELECT id FROM takes "
        f"WHERE state IN ({_ACTIVE}) AND (claimed_by IS NULL OR lease_until < ?) "
        f"ORDER BY id LIMIT ?{db.skip_locked}) "
        "UPDATE takes SET claimed_by = ?, lease_until = ? WHERE id IN (SELECT id FROM free) RETURNING id",
        [*TAKE_ACTIVE, now, limit, replica, now + lease_seconds],
    ).fetchall()
    return sorted(r[0] for r in rows)


def renew(db: Db, replica: str, now: float, lease_seconds: float, running: Collection[int]) -> list[int]:
    """Extend this replica's lease on the takes it is running; returns those of them that another
    replica has taken over meanwhile (this one was too slow to renew): they must stop here."""
    ids = sorted(running)
    renewed: set[int] = set()
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        marks = ",".join("?" * len(chunk))
        renewed.update(
            r[0]
            for r in db.execute(
                f"UPDATE takes SET lease_until = ? WHERE claimed_by = ? AND id IN ({marks}) RETURNING id",
                [now + lease_seconds, replica, *chunk],
            )
        )
    missing = [t for t in ids if t not in renewed]
    if not missing:
        return []
    marks = ",".join("?" * len(missing))
    return [
        r[0]
        for r in db.execute(
            f"SELECT id FROM takes WHERE id IN ({marks}) AND state IN ({_ACTIVE}) "
            "AND claimed_by IS NOT NULL AND claimed_by <> ?",
            [*missing, *TAKE_ACTIVE, replica],
        )
    ]


def release_dead_predecessors(db: Db, replica: str, alive: Callable[[int], bool] | None = None) -> int:
    """Free the takes held by earlier processes on this machine that are gone (a restart after a
    crash), so this one resumes them now; returns how many. Other machines' claims wait out
    their lease."""
    dead = [
        holder
        for (holder,) in db.execute(
            f"SELECT DISTINCT claimed_by FROM takes WHERE claimed_by IS NOT NULL AND state IN ({_ACTIVE})",
            list(TAKE_ACTIVE),
        ).fetchall()
        if dead_predecessor(holder, replica, alive)
    ]
    released = 0
    for holder in dead:
        released += db.execute(
            f"UPDATE takes SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = ? AND state IN ({_ACTIVE})",
            [holder, *TAKE_ACTIVE],
        ).rowcount
    return released


def dead_predecessor(holder: str, replica: str, alive: Callable[[int], bool] | None = None) -> bool:
    """Whether `holder` was an earlier process on this machine that is gone (its pid is not
    running, or is this process's own pid under another id: a restarted container)."""
    host, pid, _ = replica.split("/")
    h, _, rest = holder.partition("/")
    p = rest.partition("/")[0]
    return holder != replica and h == host and p.isdigit() and (p == pid or not (alive or _pid_alive)(int(p)))


def claim_card_post(db: Db, shot_id: int, replica: str, now: float, seconds: float) -> tuple[str, str | None]:
    """Who posts a shot's card: ("posted", ts) when it is up; ("post", nonce) to post it now;
    ("recover", nonce) when an earlier attempt (this replica's, or a gone one's) may have posted it:
    look for it by nonce first; ("wait", None) while another live replica is posting it."""
    with db.atomic():
        shot = db.one(
            f"SELECT card_ts, card_nonce, card_poster, card_post_until FROM shots WHERE id = ?{db.for_update}",
            [shot_id],
        )
        if shot is None:
            raise LookupError(f"no shot {shot_id}")
        if shot["card_ts"]:
            return "posted", shot["card_ts"]
        poster = shot["card_poster"]
        busy = poster and poster != replica and (shot["card_post_until"] or 0) >= now
        if busy and not dead_predecessor(poster, replica):
            return "wait", None
        nonce = shot["card_nonce"] or secrets.token_hex(8)
        db.execute(
            "UPDATE shots SET card_nonce = ?, card_posting_at = coalesce(card_posting_at, ?), card_poster = ?, "
            "card_post_until = ? WHERE id = ?",
            [nonce, now, replica, now + seconds, shot_id],
        )
    return ("recover" if shot["card_nonce"] else "post"), nonce


def claim_card_edit(db: Db, shot_id: int, replica: str, now: float, seconds: float) -> bool:
    """Whether this replica may edit the shot's card now (nobody else holds it, their hold lapsed,
    or the holder is this process's dead predecessor); if so it holds it for `seconds`, renewed by
    each edit."""

    def take(holder: str) -> bool:
        return (
            db.execute(
                "UPDATE shots SET card_editor = ?, card_edit_until = ? "
                "WHERE id = ? AND (card_editor IS NULL OR card_editor = ? OR card_edit_until < ?)",
                [replica, now + seconds, shot_id, holder, now],
            ).rowcount
            == 1
        )

    if take(replica):
        return True
    # held by another: a restart on the same machine takes its killed predecessor's hold at once,
    # as with takes (the look-up only happens on this path, not on every edit)
    row = db.execute("SELECT card_editor FROM shots WHERE id = ?", [shot_id]).fetchone()
    editor: str | None = row[0] if row else None
    if not editor:
        return False
    return dead_predecessor(editor, replica) and take(editor)


def held(db: Db, replica: str) -> int:
    """How many active takes this replica holds (for /healthz)."""
    count: int = db.execute(
        f"SELECT count(*) FROM takes WHERE claimed_by = ? AND state IN ({_ACTIVE})", [replica, *TAKE_ACTIVE]
    ).fetchone()[0]
    return count


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
