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


ME = "host/100/aaaa"  # this process, as a replica id
OTHER = "elsewhere/200/bbbb"  # another machine's replica


def claim(db, campaign_id, replica=ME, now=1000.0):
    return campaigns.claim_sheet(db, campaign_id, replica, now, 60.0)


def test_the_contact_sheet_is_claimed_once_every_shot_has_a_clip(db):
    stored = campaigns.create_campaign(db, campaign(2), month_start_iso())
    takes = [jobs_db.takes_of_shot(db, s)[0]["id"] for s in stored.shot_ids]
    jobs_db.update_take(db, takes[0], TakeState.DELIVERED)
    assert claim(db, stored.campaign_id) is None
    jobs_db.update_take(db, takes[1], TakeState.DELIVERED)
    sheet = claim(db, stored.campaign_id)
    assert [(n, t["id"]) for n, t in sheet.latest] == [(1, takes[0]), (2, takes[1])]
    assert sheet.since is None
    assert claim(db, stored.campaign_id) is None  # being posted
    campaigns.release_sheet(db, stored.campaign_id, "1,2,3")  # not this claim: left alone
    assert claim(db, stored.campaign_id) is None
    campaigns.release_sheet(db, stored.campaign_id, sheet.key)  # its upload failed
    assert claim(db, stored.campaign_id) == sheet  # claimed again, for the retry
    campaigns.sheet_posted(db, stored.campaign_id, sheet.key)
    assert claim(db, stored.campaign_id, now=9999.0) is None  # posted: never again for these versions
    assert campaigns.due_sheets(db, ME, 9999.0) == []
    listed = campaigns.recent_campaigns(db, "T1", "C1")
    assert [(c["title"], c["shots"], c["delivered"]) for c in listed] == [("Spring", 2, 2)]


def test_a_sheet_claim_is_taken_over_when_it_lapses_or_its_holder_died(db):
    stored = campaigns.create_campaign(db, campaign(2), month_start_iso())
    for s in stored.shot_ids:
        jobs_db.update_take(db, jobs_db.takes_of_shot(db, s)[0]["id"], TakeState.DELIVERED)
    assert campaigns.due_sheets(db, ME, 1000.0) == [stored.campaign_id]
    first = campaigns.claim_sheet(db, stored.campaign_id, OTHER, 1000.0, 60.0)
    assert campaigns.due_sheets(db, ME, 1030.0) == []  # another replica is posting it
    assert claim(db, stored.campaign_id, now=1030.0) is None
    assert campaigns.due_sheets(db, ME, 1061.0) == [stored.campaign_id]  # its claim lapsed
    taken = claim(db, stored.campaign_id, now=1061.0)
    assert taken.key == first.key and taken.since == 1000.0  # it may have posted: look first
    # this machine's earlier process, killed (pid 2**22 + 1 is never running), is taken over at once
    gone = f"host/{2**22 + 1}/cccc"
    campaigns.release_sheet(db, stored.campaign_id, taken.key)
    campaigns.claim_sheet(db, stored.campaign_id, gone, 1100.0, 60.0)
    assert campaigns.due_sheets(db, ME, 1101.0) == [stored.campaign_id]
    assert claim(db, stored.campaign_id, now=1101.0).since == 1100.0


def test_a_new_version_makes_the_sheet_due_again(db):
    stored = campaigns.create_campaign(db, campaign(2), month_start_iso())
    for s in stored.shot_ids:
        jobs_db.update_take(db, jobs_db.takes_of_shot(db, s)[0]["id"], TakeState.DELIVERED)
    sheet = claim(db, stored.campaign_id)
    campaigns.sheet_posted(db, stored.campaign_id, sheet.key)
    job = new_job(source_key="again:S1", shot_id=stored.shot_ids[0])
    _, _, (take,) = jobs_db.create_job(db, job)
    assert campaigns.due_sheets(db, ME, 2000.0) == []  # S1 v2 still rendering
    jobs_db.update_take(db, take, TakeState.DELIVERED)
    assert campaigns.due_sheets(db, ME, 2000.0) == [stored.campaign_id]
    assert claim(db, stored.campaign_id, now=2000.0).latest[0][1]["id"] == take


def test_a_departed_workspaces_campaigns_are_purged(db):
    campaigns.create_campaign(db, campaign(2), month_start_iso())
    counts, _ = departures.purge(db, "T1")
    assert counts["campaigns"] == 1 and counts["shots"] == 3


def test_the_cut_neither_holds_back_nor_makes_a_contact_sheet_due(db):
    from dataclasses import replace

    from storage import cuts

    stored = campaigns.create_campaign(db, campaign(2), month_start_iso())
    for s in stored.shot_ids:
        jobs_db.update_take(db, jobs_db.takes_of_shot(db, s)[0]["id"], TakeState.DELIVERED)
    sheet = claim(db, stored.campaign_id)
    campaigns.sheet_posted(db, stored.campaign_id, sheet.key)
    ask = replace(new_job(source_key="msg:cut:1", estimate_usd=0.0), kind="cut", request={"cut": {}})
    _, _, (take,) = cuts.create_cut(db, stored.campaign_id, ask)
    assert campaigns.due_sheets(db, ME, 3000.0) == []  # the cut assembling holds nothing back
    jobs_db.update_take(db, take, TakeState.DELIVERED)
    assert campaigns.due_sheets(db, ME, 3000.0) == []  # and its delivery is no new shot version
