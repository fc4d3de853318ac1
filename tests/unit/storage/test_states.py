"""Job and take states: one enum each, every state shown on the card, and storage speaking them."""

from __future__ import annotations

from itertools import product

from bot.cards.blocks import STATE_LINE, TAKE_ICON
from storage import jobs as jobs_db
from storage.states import ENDED, JOB_UNFINISHED, TAKE_ACTIVE, JobState, TakeState
from tests.unit.storage.test_storage import new_job


def test_every_state_has_its_line_on_the_card():
    assert set(STATE_LINE) == set(JobState)
    assert set(TAKE_ICON) == set(TakeState)


def test_the_groups_split_the_states_without_overlap():
    assert set(TAKE_ACTIVE) | set(ENDED) | {TakeState.HELD} == set(TakeState)
    assert set(JOB_UNFINISHED) | set(ENDED) == set(JobState)
    assert not set(JOB_UNFINISHED) & set(ENDED)


def test_a_job_always_takes_a_job_state_from_its_takes():
    for states in product(list(TakeState), repeat=2):
        for current in JobState:
            assert isinstance(jobs_db.job_state_from_takes(list(states), current), JobState)


def test_rows_read_back_compare_equal_to_the_enum(fresh_db):
    _, job_id, (take_id,) = jobs_db.create_job(fresh_db, new_job())
    jobs_db.update_take(fresh_db, take_id, TakeState.RENDERING)
    assert jobs_db.get_job(fresh_db, job_id)["state"] == JobState.RENDERING
    assert jobs_db.get_take(fresh_db, take_id)["state"] == "rendering"
