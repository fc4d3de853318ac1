"""Decisions that read, check and write, fired at once from many connections (replicas) on one
database, on SQLite and PostgreSQL: the cost gate never lets the budget be passed, and a job
waiting for approval is started by exactly one of the approvals that land together. And only
storage/ sees a `Db`."""

from __future__ import annotations

import ast
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from storage import approvals, audit, channels
from storage import jobs as jobs_db
from storage.clock import month_start_iso
from storage.db import Db
from storage.engines import connect
from storage.gate import create_gated, create_gated_together
from tests.unit.storage.test_storage import new_job

CONNECTIONS = 8  # replicas, each with its own connection, all deciding at the same moment


@pytest.fixture
def replicas(engine, request, tmp_path):
    """`CONNECTIONS` connections to one fresh database of the test's engine."""
    url = request.getfixturevalue("database_url") if engine == "postgresql" else ""
    dbs = [connect(tmp_path / "shared.db", database_url=url) for _ in range(CONNECTIONS)]
    yield dbs
    for db in dbs:
        db.close()


def at_once(dbs: list[Db], call: Callable[[Db, int], object]) -> list:
    """`call(db, n)` on every connection, each in its own thread, released together."""
    start = threading.Barrier(len(dbs))

    def one(n: int):
        start.wait(10)
        return call(dbs[n], n)

    with ThreadPoolExecutor(len(dbs)) as pool:
        return list(pool.map(one, range(len(dbs))))


def test_requests_at_once_never_pass_one_budget_together(replicas):
    """$1.00 a month and $0.42 a job: two start, whatever the timing; the rest wait for approval
    with what remains ($0.16), and the running takes never reserve more than the budget."""
    one = replicas[0]
    for rounds, channel in enumerate(("C1", "C2", "C3")):
        channels.set_setting(one, "T1", channel, "budget", 1.0)

        def request(db: Db, n: int, channel=channel, rounds=rounds):
            new = new_job(channel_id=channel, source_key=f"cmd:{rounds}:{n}", estimate_usd=0.42)
            return create_gated(db, new, month_start_iso())

        gated = at_once(replicas, request)
        started = [g for g in gated if g.decision.start]
        assert len(started) == 2, [g.decision for g in gated]
        assert approvals.reserved(one, "T1", channel) == pytest.approx(0.84)
        held = [jobs_db.get_job(one, g.job_id) for g in gated if not g.decision.start]
        assert [j["state"] for j in held] == ["awaiting_approval"] * (CONNECTIONS - 2)
        assert {j["request"]["notes"][-1] for j in held} == {
            ":raised_hand: Waiting for approval: estimate $0.42 is over what remains of the budget ($0.16)."
        }
        notes = [a["detail"] for a in audit.latest(one, "T1", channel, 50) if a["action"] == "gate"]
        assert (
            sorted(notes)
            == ["held: estimate $0.42 is over what remains of the budget ($0.16)"] * (CONNECTIONS - 2)
            + ["started: $0.42"] * 2
        )


def test_a_channel_without_limits_starts_every_request_and_records_no_gate(replicas):
    gated = at_once(replicas, lambda db, n: create_gated(db, new_job(source_key=f"k{n}"), month_start_iso()))
    assert all(g.decision is None for g in gated)
    assert approvals.reserved(replicas[0], "T1", "C1") == pytest.approx(0.42 * CONNECTIONS)
    assert not [a for a in audit.latest(replicas[0], "T1", "C1", 50) if a["action"] == "gate"]


def test_approvals_landing_together_start_a_held_job_once(replicas):
    one = replicas[0]
    channels.set_setting(one, "T1", "C1", "job-limit", 0.10)
    held = create_gated(one, new_job(), month_start_iso())
    assert not held.decision.start

    def approve(db: Db, n: int):
        return approvals.decide(
            db, team_id="T1", channel_id="C1", job_id=held.job_id, take_id=None, user_id=f"U{n}",
            decision="approve", via="button", label=f"J{held.job_id}",
        )  # fmt: skip

    decided = at_once(replicas, approve)
    assert [d.started for d in decided].count(True) == 1
    assert [d.changed for d in decided].count("approved") == 1
    assert jobs_db.get_job(one, held.job_id)["state"] == "queued"
    starts = [a for a in audit.latest(one, "T1", "C1", 50) if a["action"] == "start"]
    assert len(starts) == 1 and starts[0]["detail"] == "approved past the gate"
    assert len(approvals.decisions_on(one, held.shot_id, held.job_id, None)) == CONNECTIONS


def test_every_approver_approving_at_once_under_the_all_rule_approves_the_version_once(replicas):
    one = replicas[0]
    team = [f"U{n}" for n in range(CONNECTIONS)]
    channels.set_setting(one, "T1", "C1", "approvers", team)
    channels.set_setting(one, "T1", "C1", "approval", "all")
    made = create_gated(one, new_job(), month_start_iso())
    (take_id,) = made.take_ids

    def approve(db: Db, n: int):
        return approvals.decide(
            db, team_id="T1", channel_id="C1", job_id=made.job_id, take_id=take_id, user_id=team[n],
            decision="approve", via="reaction", label="v1",
        )  # fmt: skip

    decided = at_once(replicas, approve)
    assert [d.changed for d in decided].count("approved") == 1, "the last approval, whichever it was"
    assert jobs_db.get_take(one, take_id)["approved_at"]


def test_cancels_and_approvals_at_once_cancel_once_and_the_job_ends_cancelled(replicas):
    one = replicas[0]
    channels.set_setting(one, "T1", "C1", "job-limit", 0.10)
    held = create_gated(one, new_job(), month_start_iso())

    def act(db: Db, n: int):
        if n % 2:
            return jobs_db.cancel_job(db, held.job_id, "T1", "C1", f"U{n}", "cancelled")
        return approvals.decide(
            db, team_id="T1", channel_id="C1", job_id=held.job_id, take_id=None, user_id=f"U{n}",
            decision="approve", via="button", label=f"J{held.job_id}",
        )  # fmt: skip

    results = at_once(replicas, act)
    cancels = [r for n, r in enumerate(results) if n % 2]
    started = [r.started for n, r in enumerate(results) if not n % 2].count(True)
    state = jobs_db.get_job(one, held.job_id)["state"]
    assert cancels.count(None) == 1, "one cancel cancels; the others find it ended"
    assert state == "cancelled" and started <= 1
    takes = jobs_db.takes_of_job(one, held.job_id)
    assert [t["state"] for t in takes] == ["cancelled"]


def test_a_batch_is_gated_on_its_total_all_held_or_all_started(fresh_db):
    """Two $0.42 jobs under a $0.50 per-job limit: each alone would start, together they wait; a
    batch with a job already stored stores none."""
    db = fresh_db
    channels.set_setting(db, "T1", "C1", "job-limit", 0.5)
    batch = [new_job(source_key=f"final:{n}", estimate_usd=0.42) for n in (1, 2)]
    held = create_gated_together(db, batch, month_start_iso(), "the final of S1, S2")
    assert held.total_usd == 0.84 and held.decision is not None and not held.decision.start
    states = {jobs_db.get_job(db, job_id)["state"] for _, job_id, _ in held.created}
    assert states == {"awaiting_approval"} and len(held.created) == 2
    notes = [r["detail"] for r in db.query("SELECT detail FROM audit WHERE action = 'gate'")]
    assert notes == ["the final of S1, S2 held: estimate $0.84 is over the per-job limit $0.50"]
    with pytest.raises(jobs_db.DuplicateTrigger):
        create_gated_together(db, [new_job(source_key="final:3"), batch[0]], month_start_iso(), "again")
    assert db.execute("SELECT count(*) FROM jobs").fetchone()[0] == 2
    channels.set_setting(db, "T1", "C1", "job-limit", 1.0)
    started = create_gated_together(
        db, [new_job(source_key=f"final:{n}") for n in (4, 5)], month_start_iso(), "x"
    )
    assert started.decision.start
    assert {jobs_db.get_job(db, j)["state"] for _, j, _ in started.created} == {"queued"}


def test_a_lock_outside_a_transaction_is_refused(fresh_db):
    with pytest.raises(RuntimeError, match="outside a transaction"):
        fresh_db.lock("channel T1 C1")
    with fresh_db.atomic():
        fresh_db.lock("channel T1 C1")


def test_nothing_outside_storage_takes_a_db():
    """A decision written outside storage/ (a closure handed to `store.run`) would read and write
    without the transaction and lock its storage function takes: only storage/ sees a `Db`."""
    root = Path(__file__).resolve().parents[3]
    offenders = []
    for path in [*root.joinpath("bot").rglob("*.py"), *root.joinpath("handlers").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                args = node.args
                if any(a.arg == "db" for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]):
                    offenders.append(where)
            elif isinstance(node, ast.ImportFrom) and node.module == "storage.db":
                offenders += [where for alias in node.names if alias.name == "Db"]
            elif (
                isinstance(node, ast.Attribute)
                and node.attr == "db"
                and ast.unparse(node.value).endswith("store")
            ):
                offenders.append(where)
    assert offenders == []
