"""Campaigns: the board (a shot row whose message is every campaign shot's thread), shots S1…Sn
each with its jobs, stored with one cost-gate decision for the whole campaign."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, cast

from bot.request.review import GateDecision
from storage import approvals, audit, channels, leases
from storage.clock import now_iso
from storage.db import Db
from storage.gate import HELD_NOTE, decide_locked
from storage.jobs import DuplicateTrigger, NewJob, create_job, get_shot, shot_view
from storage.rows import JobRow, ShotRow, TakeView
from storage.states import JobState, TakeState

CUT = 0  # the campaign_shot of a campaign's cut: a shot in the board's thread, never one of S1…Sn


@dataclass(frozen=True)
class NewCampaign:
    team_id: str
    channel_id: str
    user_id: str
    title: str
    brief: dict[str, Any]
    source_key: str  # what triggered it: one campaign per trigger
    shots: tuple[tuple[str, tuple[NewJob, ...]], ...]  # per shot: its title and its jobs (one per aspect)


@dataclass(frozen=True)
class StoredCampaign:
    campaign_id: int
    board_shot_id: int
    shot_ids: tuple[int, ...]
    decision: GateDecision | None  # None: nothing to decide (no limit or budget set)


@dataclass(frozen=True)
class CampaignShotView:
    number: int
    shot: ShotRow
    jobs: list[JobRow]
    takes: list[TakeView]


@dataclass(frozen=True)
class CampaignView:
    campaign: dict[str, Any]
    board: ShotRow
    shots: tuple[CampaignShotView, ...]
    cut: CampaignShotView | None = None  # the cut's versions, once one was asked for


def create_campaign(db: Db, new: NewCampaign, since: str) -> StoredCampaign:
    """Store the board, the campaign, its shots and their jobs in one transaction under the
    channel's lock, all started or all held on one gate decision for the campaign's total.
    Raises DuplicateTrigger for a trigger already stored."""
    total = round(sum(j.estimate_usd for _, jobs in new.shots for j in jobs), 2)
    with db.atomic():
        existing = db.execute("SELECT id FROM campaigns WHERE source_key = ?", [new.source_key]).fetchone()
        if existing:
            raise DuplicateTrigger(existing[0])
        decision = decide_locked(db, new.team_id, new.channel_id, total, since)
        now = now_iso()
        owner = {"team_id": new.team_id, "channel_id": new.channel_id, "user_id": new.user_id}
        board = db.insert("shots", {**owner, "title": new.title[:300], "created_at": now})
        campaign_id = db.insert(
            "campaigns",
            {
                **owner,
                "title": new.title[:300],
                "brief": json.dumps(new.brief),
                "board_shot_id": board,
                "estimate_usd": total,
                "source_key": new.source_key,
                "created_at": now,
            },
        )
        db.execute("UPDATE shots SET campaign_id = ? WHERE id = ?", [campaign_id, board])
        held_for = decision.reason if decision is not None and not decision.start else None
        shot_ids = []
        for number, (title, jobs) in enumerate(new.shots, start=1):
            shot_id = db.insert("shots", {**owner, "title": title[:300], "created_at": now})
            db.execute(
                "UPDATE shots SET campaign_id = ?, campaign_shot = ? WHERE id = ?",
                [campaign_id, number, shot_id],
            )
            for job in jobs:
                job = replace(job, shot_id=shot_id)
                if held_for is not None:
                    note = HELD_NOTE.format(reason=f"the campaign's {held_for}")
                    notes = [*job.request.get("notes", []), note]
                    job = replace(
                        job, state=JobState.AWAITING_APPROVAL, request={**job.request, "notes": notes}
                    )
                create_job(db, job)
            shot_ids.append(shot_id)
        renders = sum(len(jobs) for _, jobs in new.shots)
        what = (
            f"C{campaign_id} {new.title[:60]}: {len(new.shots)} shots, {renders} renders, est. ${total:,.2f}"
        )
        audit.record(db, new.team_id, new.channel_id, new.user_id, "campaign", what, None)
        if decision is not None:
            note = f"held: {held_for}" if held_for is not None else f"started: ${total:,.2f}"
            audit.record(db, new.team_id, new.channel_id, new.user_id, "gate", f"campaign {note}", None)
    return StoredCampaign(campaign_id, board, tuple(shot_ids), decision)


def get_campaign(db: Db, campaign_id: int) -> dict[str, Any] | None:
    rows = list(db["campaigns"].rows_where("id = ?", [campaign_id]))
    if not rows:
        return None
    row = dict(rows[0])
    row["brief"] = json.loads(row["brief"] or "{}")
    return row


def board_of(db: Db, shot_id: int) -> int | None:
    """The board shot of the campaign `shot_id` is a shot of (None outside campaigns and for the
    board itself)."""
    row = db.execute(
        "SELECT c.board_shot_id FROM shots s JOIN campaigns c ON c.id = s.campaign_id "
        "WHERE s.id = ? AND s.campaign_shot IS NOT NULL",
        [shot_id],
    ).fetchone()
    return row[0] if row else None


def share_board(db: Db, campaign_id: int, board_ts: str) -> None:
    """The board was posted at `board_ts`: every shot of the campaign has its thread there."""
    db.execute(
        "UPDATE shots SET card_ts = ? WHERE campaign_id = ? AND campaign_shot IS NOT NULL AND card_ts IS NULL",
        [board_ts, campaign_id],
    )


def campaign_of_board(db: Db, board_shot_id: int) -> int | None:
    row = db.execute("SELECT id FROM campaigns WHERE board_shot_id = ?", [board_shot_id]).fetchone()
    return row[0] if row else None


def campaign_in_thread(db: Db, team_id: str, channel_id: str, thread_ts: str) -> int | None:
    """The campaign whose board is the message `thread_ts` (None for any other thread)."""
    row = db.execute(
        "SELECT c.id FROM campaigns c JOIN shots s ON s.id = c.board_shot_id "
        "WHERE s.team_id = ? AND s.channel_id = ? AND s.card_ts = ?",
        [team_id, channel_id, thread_ts],
    ).fetchone()
    return row[0] if row else None


def shot_number(db: Db, campaign_id: int, number: int) -> int | None:
    """The shot id of S`number` in the campaign."""
    row = db.execute(
        "SELECT id FROM shots WHERE campaign_id = ? AND campaign_shot = ? AND campaign_shot <> ?",
        [campaign_id, number, CUT],
    ).fetchone()
    return row[0] if row else None


def campaign_view(db: Db, campaign_id: int) -> CampaignView | None:
    """The campaign, its board row and each shot with its jobs and takes, in shot order."""
    campaign = get_campaign(db, campaign_id)
    if campaign is None:
        return None
    board = get_shot(db, campaign["board_shot_id"])
    assert board is not None
    rows = db.query(
        "SELECT id, campaign_shot FROM shots WHERE campaign_id = ? AND campaign_shot IS NOT NULL "
        "ORDER BY campaign_shot",
        [campaign_id],
    )
    shots = []
    for row in rows:
        shot, jobs, takes = shot_view(db, row["id"])
        assert shot is not None
        shots.append(CampaignShotView(row["campaign_shot"], shot, jobs, takes))
    cut = shots.pop(0) if shots and shots[0].number == CUT else None
    return CampaignView(campaign, board, tuple(shots), cut)


def held_jobs(db: Db, campaign_id: int) -> list[int]:
    """The campaign's jobs waiting for its approval."""
    rows = db.query(
        "SELECT j.id FROM jobs j JOIN shots s ON s.id = j.shot_id WHERE s.campaign_id = ? AND j.state = ?",
        [campaign_id, JobState.AWAITING_APPROVAL],
    )
    return [r["id"] for r in rows]


_LISTED = (
    "SELECT c.id, c.title, c.channel_id, b.card_ts, "
    "(SELECT count(*) FROM shots s WHERE s.campaign_id = c.id AND s.campaign_shot > 0) AS shots, "
    "(SELECT count(DISTINCT t.shot_id) FROM takes t JOIN shots s ON s.id = t.shot_id "
    " WHERE s.campaign_id = c.id AND s.campaign_shot > 0 AND t.state = ?) AS delivered "
    "FROM campaigns c LEFT JOIN shots b ON b.id = c.board_shot_id "
)


def recent_campaigns(db: Db, team_id: str, channel_id: str, limit: int = 5) -> list[dict[str, Any]]:
    """The channel's latest campaigns: id, title, how many shots, how many have a delivered clip
    (and the channel and the board's ts)."""
    return db.query(
        _LISTED + "WHERE c.team_id = ? AND c.channel_id = ? ORDER BY c.id DESC LIMIT ?",
        [TakeState.DELIVERED, team_id, channel_id, limit],
    )


def campaigns_of_user(db: Db, team_id: str, user_id: str, limit: int = 5) -> list[dict[str, Any]]:
    """The campaigns a person started in the workspace, latest first, as `recent_campaigns` lists them."""
    return db.query(
        _LISTED + "WHERE c.team_id = ? AND c.user_id = ? ORDER BY c.id DESC LIMIT ?",
        [TakeState.DELIVERED, team_id, user_id, limit],
    )


def unfinished_jobs(db: Db, campaign_id: int) -> list[int]:
    """The campaign's jobs still waiting or rendering, oldest first."""
    rows = db.query(
        "SELECT j.id FROM jobs j JOIN shots s ON s.id = j.shot_id WHERE s.campaign_id = ? "
        "AND j.state IN (?, ?, ?, ?) ORDER BY j.id",
        [campaign_id, JobState.AWAITING_APPROVAL, JobState.QUEUED, JobState.RENDERING, JobState.UPLOADING],
    )
    return [r["id"] for r in rows]


@dataclass(frozen=True)
class SheetClaim:
    latest: list[tuple[int, dict[str, Any]]]  # per shot: its S number and its latest delivered take
    key: str  # what it shows (`sheet_key`)
    since: float | None  # an earlier holder (gone, or its claim lapsed) claimed this very sheet at
    # this time and may have posted it: look in the thread first; None for a first claim


def claim_sheet(db: Db, campaign_id: int, replica: str, now: float, seconds: float) -> SheetClaim | None:
    """When every shot has a delivered version and none is still rendering, and no sheet shows these
    versions yet: claim it for `replica` until `now + seconds` and return what it shows, for this
    caller to post; otherwise None (posted already, or held by a live claim). A claim of the same
    versions whose holder is a dead predecessor, or that lapsed, is taken over. One transaction."""
    with db.atomic():
        row = db.one(
            "SELECT sheet_key, sheet_claimed_by, sheet_claimed_at, sheet_claim_until FROM campaigns "
            f"WHERE id = ?{db.for_update}",
            [campaign_id],
        )
        if row is None:
            return None
        latest = _latest_clips(db, campaign_id)
        if latest is None:
            return None
        key = sheet_key(latest)
        since = None
        if key == row["sheet_key"]:
            holder = row["sheet_claimed_by"]
            if holder is None or not _claim_lapsed(holder, row["sheet_claim_until"], replica, now):
                return None  # posted, or being posted
            since = row["sheet_claimed_at"]
        db.execute(
            "UPDATE campaigns SET sheet_key = ?, sheet_claimed_by = ?, sheet_claimed_at = ?, "
            "sheet_claim_until = ? WHERE id = ?",
            [key, replica, now, now + seconds, campaign_id],
        )
    return SheetClaim(latest, key, since)


def _latest_clips(db: Db, campaign_id: int) -> list[tuple[int, dict[str, Any]]] | None:
    """Each shot's latest delivered take, once every shot has one and none is still rendering."""
    view = campaign_view(db, campaign_id)
    assert view is not None
    latest = []
    for shot in view.shots:
        if any(t["state"] not in _SETTLED for t in shot.takes):
            return None
        delivered = [t for t in shot.takes if t["state"] == TakeState.DELIVERED]
        if not delivered:
            return None
        latest.append((shot.number, dict(delivered[-1])))
    return latest or None


def _claim_lapsed(holder: str, until: float | None, replica: str, now: float) -> bool:
    """Whether another holder's claim may be taken over: it lapsed, or its holder was an earlier
    process on this machine that is gone (a restart after kill -9 takes it at once)."""
    if holder == replica:
        return False
    return (until or 0) < now or leases.dead_predecessor(holder, replica)


def sheet_key(latest: list[tuple[int, dict[str, Any]]]) -> str:
    """What a sheet shows, as `claim_sheet` records it: its takes' ids in shot order."""
    return ",".join(str(t["id"]) for _, t in latest)


def sheet_posted(db: Db, campaign_id: int, key: str) -> None:
    """The sheet claimed as `key` is in the thread: nobody holds it any more, and it is not due."""
    db.execute(
        "UPDATE campaigns SET sheet_claimed_by = NULL, sheet_claimed_at = NULL, sheet_claim_until = NULL "
        "WHERE id = ? AND sheet_key = ?",
        [campaign_id, key],
    )


def release_sheet(db: Db, campaign_id: int, key: str) -> None:
    """The sheet claimed as `key` was not posted: unclaim it, so the next claim (a retry, another
    replica, a sweep, the next delivery) posts it. A claim made since for newer versions is left alone."""
    db.execute(
        "UPDATE campaigns SET sheet_key = NULL, sheet_claimed_by = NULL, sheet_claimed_at = NULL, "
        "sheet_claim_until = NULL WHERE id = ? AND sheet_key = ?",
        [campaign_id, key],
    )


def due_sheets(db: Db, replica: str, now: float) -> list[int]:
    """Campaigns whose contact sheet is due and nobody live is posting: every shot has a delivered
    clip and none is rendering, and the sheet last claimed shows older versions (or none), or its
    claim lapsed or belongs to a dead predecessor. `claim_sheet` has the last word."""
    # S1…Sn: the cut (its number is CUT) is no shot of the sheet, and its assembly holds nothing back
    shot = f"s.campaign_id = c.id AND s.campaign_shot IS NOT NULL AND s.campaign_shot <> {CUT}"
    settled = ",".join("?" * len(_SETTLED))
    rows = db.query(
        "SELECT c.id, c.sheet_key, c.sheet_claimed_by, c.sheet_claim_until, "
        "(SELECT max(t.id) FROM takes t JOIN shots s ON s.id = t.shot_id "
        f" WHERE {shot} AND t.state = ?) AS newest "
        "FROM campaigns c "
        f"WHERE EXISTS (SELECT 1 FROM shots s WHERE {shot}) "
        f"AND NOT EXISTS (SELECT 1 FROM shots s WHERE {shot} AND NOT EXISTS "
        " (SELECT 1 FROM takes t WHERE t.shot_id = s.id AND t.state = ?)) "
        f"AND NOT EXISTS (SELECT 1 FROM takes t JOIN shots s ON s.id = t.shot_id "
        f" WHERE {shot} AND t.state NOT IN ({settled})) "
        "ORDER BY c.id",
        [TakeState.DELIVERED, TakeState.DELIVERED, *_SETTLED],
    )
    due = []
    for row in rows:
        holder, key = row["sheet_claimed_by"], row["sheet_key"]
        if holder is not None:
            if _claim_lapsed(holder, row["sheet_claim_until"], replica, now):
                due.append(row["id"])
        elif not key or row["newest"] > max(int(i) for i in key.split(",")):
            due.append(row["id"])
    return due


_SETTLED = (TakeState.DELIVERED, TakeState.FAILED, TakeState.CANCELLED, TakeState.HELD)


def rows_of_campaign(db: Db, campaign_id: int) -> tuple[dict[str, Any], list[ShotRow]] | None:
    """The campaign and the shots its screening-room page shows: S1…Sn in order, then any other
    shot made for the campaign (its cut), oldest first; never the board."""
    campaign = get_campaign(db, campaign_id)
    if campaign is None:
        return None
    rows = db["shots"].rows_where("campaign_id = ? AND id <> ?", [campaign_id, campaign["board_shot_id"]])
    # S1…Sn, then the cut (its number is CUT), then anything else
    shots = sorted(
        rows,
        key=lambda r: (
            r["campaign_shot"] in (None, CUT),
            r["campaign_shot"] is None,
            r["campaign_shot"] or 0,
            r["id"],
        ),
    )
    return campaign, [cast(ShotRow, s) for s in shots]


RoomRead = tuple[
    list[JobRow], list[TakeView], list[dict[str, Any]], channels.ChannelSettings, list[dict[str, Any]]
]


def rooms_of(db: Db, shot_ids: list[int], team_id: str, channel_id: str) -> list[RoomRead]:
    """`approvals.room_of` for each shot, read in one go: a campaign's page."""
    return [approvals.room_of(db, shot_id, team_id, channel_id) for shot_id in shot_ids]
