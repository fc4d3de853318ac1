"""The typed rows name exactly their table's columns on each engine, and the storage functions
that cross layers return rows with those keys."""

from __future__ import annotations

import pytest

from storage import jobs as jobs_db
from storage.rows import JobRow, ShotRow, TakeRow
from tests.unit.storage.test_storage import new_job


def columns(db, table: str) -> set[str]:
    return {d[0] for d in db.execute(f"SELECT * FROM {table} LIMIT 0").description}


@pytest.mark.parametrize(("table", "row"), [("shots", ShotRow), ("jobs", JobRow), ("takes", TakeRow)])
def test_each_typed_row_names_its_tables_columns(fresh_db, table, row):
    assert set(row.__annotations__) == columns(fresh_db, table)


def test_the_rows_storage_hands_out_have_the_typed_keys(fresh_db):
    shot_id, job_id, (take_id,) = jobs_db.create_job(fresh_db, new_job())
    job, take = jobs_db.get_job(fresh_db, job_id), jobs_db.get_take(fresh_db, take_id)
    assert set(job) == set(JobRow.__annotations__) and isinstance(job["request"], dict)
    assert set(take) == set(TakeRow.__annotations__)
    shot, jobs, takes = jobs_db.shot_view(fresh_db, shot_id)
    assert set(shot) == set(ShotRow.__annotations__)
    assert [set(j) for j in jobs] == [set(JobRow.__annotations__)]
    assert jobs_db.find_version(fresh_db, shot_id, take_id=take_id) == (job, take)
