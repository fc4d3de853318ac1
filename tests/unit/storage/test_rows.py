"""The typed rows name exactly their table's columns, with the columns' types, on each engine, and the
storage functions that cross layers return rows with those keys."""

from __future__ import annotations

from types import NoneType, UnionType
from typing import get_args, get_origin, get_type_hints

import pytest

from storage import jobs as jobs_db
from storage.rows import JobRow, ShotRow, TakeRow, TakeView
from tests.unit.storage.test_storage import new_job


def column_type(hint) -> type:
    """The type a field's column holds: X for `X | None`, JSON text for a decoded dict."""
    if get_origin(hint) is UnionType:
        (hint,) = [a for a in get_args(hint) if a is not NoneType]
    return str if get_origin(hint) is dict else hint


@pytest.mark.parametrize(("table", "row"), [("shots", ShotRow), ("jobs", JobRow), ("takes", TakeRow)])
def test_each_typed_row_names_its_tables_columns_and_their_types(fresh_db, table, row):
    typed = {name: column_type(hint) for name, hint in get_type_hints(row).items()}
    assert typed == fresh_db[table].columns_dict


def test_the_rows_storage_hands_out_have_the_typed_keys(fresh_db):
    shot_id, job_id, (take_id,) = jobs_db.create_job(fresh_db, new_job())
    job, take = jobs_db.get_job(fresh_db, job_id), jobs_db.get_take(fresh_db, take_id)
    assert set(job) == set(JobRow.__annotations__) and isinstance(job["request"], dict)
    assert set(take) == set(TakeRow.__annotations__)
    shot, jobs, takes = jobs_db.shot_view(fresh_db, shot_id)
    assert set(shot) == set(ShotRow.__annotations__)
    assert [set(j) for j in jobs] == [set(JobRow.__annotations__)]
    assert [set(t) for t in takes] == [set(TakeView.__annotations__)] and takes[0]["notes"] == 0
    assert jobs_db.find_version(fresh_db, shot_id, take_id=take_id) == (job, take)
