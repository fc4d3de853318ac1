"""Workflow Builder steps running as jobs: which job each execution waits for, and whether Slack
has been told how it ended."""

from __future__ import annotations

from typing import Any

from storage.clock import now_iso
from storage.db import Db
from storage.states import ENDED


def begin_step(db: Db, execution_id: str, source_key: str, channel_id: str, team_id: str) -> bool:
    """Record a step before its job is stored; False when this execution is already recorded."""
    cursor = db.execute(
        "INSERT INTO workflow_steps (execution_id, source_key, channel_id, team_id, started_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (execution_id) DO NOTHING",
        [execution_id, source_key, channel_id, team_id, now_iso()],
    )
    return cursor.rowcount == 1


def step_for_job(db: Db, source_key: str) -> dict[str, Any] | None:
    """The step waiting for the job with this source key, if one is."""
    return db.one("SELECT * FROM workflow_steps WHERE source_key = ?", [source_key])


def finish_step(db: Db, execution_id: str, outcome: str) -> None:
    """Slack was told (or has ended the execution itself): nothing more to send for it."""
    db.execute(
        "UPDATE workflow_steps SET completed_at = ?, outcome = ? WHERE execution_id = ? "
        "AND completed_at IS NULL",
        [now_iso(), outcome, execution_id],
    )


def steps_to_settle(db: Db, started_before: str) -> list[dict[str, Any]]:
    """Open steps whose job has ended, and open steps started before `started_before` whose job
    was never stored (a restart between the two): what a start-up sweep completes."""
    ended = ",".join("?" * len(ENDED))
    return db.query(
        "SELECT s.*, j.id AS job_id, j.state AS job_state FROM workflow_steps s "
        "LEFT JOIN jobs j ON j.source_key = s.source_key WHERE s.completed_at IS NULL "
        f"AND ((j.id IS NOT NULL AND j.state IN ({ended})) OR (j.id IS NULL AND s.started_at < ?)) "
        "ORDER BY s.started_at",
        [*ENDED, started_before],
    )
