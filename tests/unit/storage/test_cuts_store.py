"""storage/cuts.py on a fresh database of each engine: a campaign's cut is one shot in the board's
thread (never one of S1…Sn), each cut its next version, its plan kept in the job's request."""

from __future__ import annotations

from dataclasses import replace

import pytest

from storage import campaigns, cuts
from storage import jobs as jobs_db
from storage.clock import month_start_iso
from storage.states import TakeState
from tests.unit.storage.test_campaigns_store import campaign
from tests.unit.storage.test_storage import new_job


@pytest.fixture
def db(fresh_db):
    return fresh_db


def test_each_cut_is_the_next_version_of_one_shot_in_the_boards_thread(db):
    stored = campaigns.create_campaign(db, campaign(3), month_start_iso())
    jobs_db.set_card_ts(db, stored.board_shot_id, "1700000000.000100")
    campaigns.share_board(db, stored.campaign_id, "1700000000.000100")
    ask = replace(
        new_job(source_key="msg:cut:1", estimate_usd=0.0), kind="cut", request={"cut": {"fade": 0.0}}
    )
    shot_id, job_id, takes = cuts.create_cut(db, stored.campaign_id, ask)
    again, _, later = cuts.create_cut(db, stored.campaign_id, replace(ask, source_key="msg:cut:2"))
    assert again == shot_id
    assert [jobs_db.get_take(db, t)["version"] for t in (*takes, *later)] == [1, 2]
    shot = jobs_db.get_shot(db, shot_id)
    assert (shot["campaign_shot"], shot["card_ts"]) == (campaigns.CUT, "1700000000.000100")
    assert campaigns.board_of(db, shot_id) == stored.board_shot_id  # its edits show on the board
    view = campaigns.campaign_view(db, stored.campaign_id)
    assert [s.number for s in view.shots] == [1, 2, 3] and view.cut is not None
    assert [t["version"] for t in view.cut.takes] == [1, 2]
    _, rows = campaigns.rows_of_campaign(db, stored.campaign_id)
    assert [r["campaign_shot"] for r in rows] == [1, 2, 3, campaigns.CUT]  # the room's page: the cut last
    assert campaigns.shot_number(db, stored.campaign_id, 0) is None  # `S0: …` is no shot
    jobs_db.update_take(db, takes[0], TakeState.DELIVERED)
    listed = campaigns.recent_campaigns(db, "T1", "C1")[0]
    assert (listed["shots"], listed["delivered"]) == (3, 0)  # the cut is not a shot of the brief
    with pytest.raises(jobs_db.DuplicateTrigger):
        cuts.create_cut(db, stored.campaign_id, ask)


def test_the_plan_grows_as_the_cut_is_assembled(db):
    stored = campaigns.create_campaign(db, campaign(1), month_start_iso())
    ask = replace(new_job(source_key="msg:cut:1"), kind="cut", request={"cut": {"fade": 0.5, "pieces": []}})
    _, job_id, _ = cuts.create_cut(db, stored.campaign_id, ask)
    cuts.record_cut(db, job_id, pieces=[{"shot": 1, "record_in": 0.0}], seconds=5.0)
    assert jobs_db.get_job(db, job_id)["request"]["cut"] == {
        "fade": 0.5, "pieces": [{"shot": 1, "record_in": 0.0}], "seconds": 5.0,
    }  # fmt: skip
