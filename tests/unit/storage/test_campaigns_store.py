"""storage/campaigns.py on a fresh database of each engine: a campaign's board, shots and jobs
stored together, one gate decision for its total, the board's thread found again, and the contact
sheet claimed once per set of versions."""

from __future__ import annotations

import pytest

from storage import campaigns, channels, departures
from storage import jobs as jobs_db
from storage.clock import month_start_iso
from storage.states import JobState, TakeState
from tests.unit.storage.test_storage import new_job


@pytest.fixture
def db(fresh_db):
    return fresh_db


def campaign(shots: int = 3, aspects: int = 1, estimate: float = 0.5, key: str = "view:1"):
    jobs = tuple(
        (
            f"shot {n}",
            tuple(
                new_job(source_key=f"{key}:S{n}:{a}", estimate_usd=estimate, title=f"shot {n}")
                for a in range(aspects)
            ),
        )
        for n in range(1, shots + 1)
    )
    return campaigns.NewCampaign("T1", "C1", "U1", "Spring", {"model": "kling-v3"}, key, jobs)


def test_board_shots_and_jobs_are_stored_together(db):
    stored = campaigns.create_campaign(db, campaign(3, aspects=2), month_start_iso())
    assert stored.decision is None and len(stored.shot_ids) == 3
    view = campaigns.campaign_view(db, stored.campaign_id)
    assert view.board["id"] == stored.board_shot_id and view.board["campaign_shot"] is None
    assert [s.number for s in view.shots] == [1, 2, 3]
    assert all(len(s.jobs) == 2 and [t["version"] for t in s.takes] == [1, 2] for s in view.shots)
    assert view.campaign["estimate_usd"] == 3.0
    assert campaigns.board_of(db, stored.shot_ids[1]) == stored.board_shot_id
    assert campaigns.board_of(db, stored.board_shot_id) is None
    assert campaigns.shot_number(db, stored.campaign_id, 2) == stored.shot_ids[1]


def test_a_retried_trigger_stores_nothing_more(db):
    campaigns.create_campaign(db, campaign(), month_start_iso())
    with pytest.raises(jobs_db.DuplicateTrigger):
        campaigns.create_campaign(db, campaign(), month_start_iso())


def test_over_the_budget_the_whole_campaign_waits_for_one_approval(db):
    channels.set_setting(db, "T1", "C1", "budget", 2.0)
    stored = campaigns.create_campaign(db, campaign(3, estimate=0.8), month_start_iso())
    assert not stored.decision.start and "over what remains of the budget" in stored.decision.reason
    view = campaigns.campaign_view(db, stored.campaign_id)
    assert {j["state"] for s in view.shots for j in s.jobs} == {JobState.AWAITING_APPROVAL}
    assert len(campaigns.held_jobs(db, stored.campaign_id)) == 3
    assert campaigns.unfinished_jobs(db, stored.campaign_id) == campaigns.held_jobs(db, stored.campaign_id)


def test_under_the_limit_it_starts(db):
    channels.set_setting(db, "T1", "C1", "budget", 5.0)
    stored = campaigns.create_campaign(db, campaign(3, estimate=0.8), month_start_iso())
    assert stored.decision.start and campaigns.held_jobs(db, stored.campaign_id) == []


def test_the_boards_thread_and_its_shots_share_the_boards_message(db):
    stored = campaigns.create_campaign(db, campaign(2), month_start_iso())
    jobs_db.set_card_ts(db, stored.board_shot_id, "111.1")
    campaigns.share_board(db, stored.campaign_id, "111.1")  # the shots' thread is the board's
    assert {jobs_db.get_shot(db, s)["card_ts"] for s in stored.shot_ids} == {"111.1"}
    assert campaigns.campaign_in_thread(db, "T1", "C1", "111.1") == stored.campaign_id
    assert campaigns.campaign_in_thread(db, "T2", "C1", "111.1") is None


def test_the_contact_sheet_is_claimed_once_every_shot_has_a_clip(db):
    stored = campaigns.create_campaign(db, campaign(2), month_start_iso())
    takes = [jobs_db.takes_of_shot(db, s)[0]["id"] for s in stored.shot_ids]
    jobs_db.update_take(db, takes[0], TakeState.DELIVERED)
    assert campaigns.claim_sheet(db, stored.campaign_id) is None
    jobs_db.update_take(db, takes[1], TakeState.DELIVERED)
    sheet = campaigns.claim_sheet(db, stored.campaign_id)
    assert [(n, t["id"]) for n, t in sheet] == [(1, takes[0]), (2, takes[1])]
    assert campaigns.claim_sheet(db, stored.campaign_id) is None  # shown already
    campaigns.release_sheet(db, stored.campaign_id, "1,2,3")  # not this claim: left alone
    assert campaigns.claim_sheet(db, stored.campaign_id) is None
    campaigns.release_sheet(db, stored.campaign_id, campaigns.sheet_key(sheet))  # its upload failed
    assert campaigns.claim_sheet(db, stored.campaign_id) == sheet  # claimed again, for the retry
    listed = campaigns.recent_campaigns(db, "T1", "C1")
    assert [(c["title"], c["shots"], c["delivered"]) for c in listed] == [("Spring", 2, 2)]


def test_a_departed_workspaces_campaigns_are_purged(db):
    campaigns.create_campaign(db, campaign(2), month_start_iso())
    counts, _ = departures.purge(db, "T1")
    assert counts["campaigns"] == 1 and counts["shots"] == 3
