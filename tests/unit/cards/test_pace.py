"""Which card edit goes next when chat.update's budget is short (pure, on a given clock): final
states first, progress ticks dropped while a final waits or when only the seconds moved."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.cards.blocks import CardView
from bot.cards.pace import CardQueue, gist, nothing_new, on_its_way
from bot.slack.budget import Priority
from storage.states import JobState, TakeState

URGENT, STATE, PROGRESS = Priority.URGENT, Priority.STATE, Priority.PROGRESS


def test_a_card_whose_only_change_is_its_seconds_counter_has_nothing_new():
    before = ":clapper: Rendering · 12s elapsed (typically ~1 min)"
    assert nothing_new(PROGRESS, ":clapper: Rendering · 17s elapsed (typically ~1 min)", before)
    assert nothing_new(
        PROGRESS, ":clapper: Rendering · 1m 05s elapsed", ":clapper: Rendering · 1m 10s elapsed"
    )


def test_a_new_minute_a_percentage_or_a_state_is_news():
    before = ":clapper: Rendering · 55s elapsed"
    assert not nothing_new(PROGRESS, ":clapper: Rendering · 1m 00s elapsed", before), "a new minute"
    assert not nothing_new(PROGRESS, ":clapper: Rendering 40%", ":clapper: Rendering 35%")
    assert not nothing_new(PROGRESS, ":clapper: Rendering · 17s elapsed · 1 note", before), "a note"
    assert not nothing_new(STATE, before, before), "a state edit is never judged by its text"
    assert not nothing_new(PROGRESS, before, None), "a card never edited has news"


def test_gist_keeps_everything_but_the_seconds():
    assert gist("a · 1m 05s elapsed · b") == "a · 1m elapsed · b"
    assert gist("a · 9s elapsed") == "a · 0m elapsed"
    assert gist("progress 45s of 60s") == "progress 45s of 60s", "only the elapsed counter"


def test_a_final_goes_before_older_state_changes_and_progress():
    queue = CardQueue(interval=3.0)
    queue.add(1, PROGRESS, now=0.0)
    queue.add(2, STATE, now=1.0)
    queue.add(3, URGENT, now=2.0)
    assert queue.best(now=2.0).shot_id == 3


def test_while_a_final_waits_progress_ticks_are_dropped_not_queued():
    queue = CardQueue(interval=3.0)
    queue.add(1, PROGRESS, now=0.0)
    queue.add(2, STATE, now=0.0)
    assert queue.add(3, URGENT, now=1.0) == [1], "the tick queued before the final is dropped"
    assert queue.add(4, PROGRESS, now=1.5) == [4], "a tick arriving meanwhile is not queued"
    assert set(queue.pending) == {2, 3}, "a change of state waits its turn"


def test_while_a_final_waits_for_its_card_interval_nothing_else_takes_its_token():
    queue = CardQueue(interval=3.0)
    queue.finished(3, sent_at=0.0)  # card 3 was edited at 0: due again at 3
    queue.add(2, STATE, now=0.5)
    queue.add(3, URGENT, now=1.0)
    assert queue.best(now=1.0) is None, "the state change waits behind the final"
    assert queue.next_due() == 3.0
    assert queue.best(now=3.0).shot_id == 3
    queue.start(3)
    queue.finished(3, sent_at=3.0)
    assert queue.best(now=3.0).shot_id == 2, "then the state change goes"


def test_a_progress_tick_merged_into_a_cards_pending_edit_is_not_dropped():
    queue = CardQueue(interval=3.0)
    queue.add(1, STATE, now=0.0)
    queue.add(2, URGENT, now=0.0)
    assert queue.add(1, PROGRESS, now=0.5) == [], "card 1's edit was pending already"
    assert queue.pending[1].priority == STATE


def test_a_card_turning_final_keeps_its_one_pending_edit_at_the_final_rank():
    queue = CardQueue(interval=3.0)
    queue.add(1, PROGRESS, now=0.0)
    assert queue.add(1, URGENT, now=2.0) == []
    assert queue.pending[1].priority == URGENT and queue.pending[1].since == 2.0


def test_progress_that_waited_too_long_is_dropped():
    queue = CardQueue(interval=1.0)
    queue.add(1, PROGRESS, now=0.0)
    queue.add(2, STATE, now=0.0)
    assert queue.drop_stale_progress(now=10.0) == []
    assert queue.drop_stale_progress(now=31.0) == [1]
    assert set(queue.pending) == {2}


def test_a_change_of_a_clip_on_its_way_waits_an_interval_for_its_final():
    queue = CardQueue(interval=3.0)
    queue.add(1, STATE, now=10.0, settling=True)  # downloading: the final follows within moments
    assert queue.best(now=11.0) is None and queue.next_due() == 13.0
    queue.add(1, URGENT, now=11.0)  # delivered: it goes at once, the card was not edited meanwhile
    assert queue.best(now=11.0).shot_id == 1
    queue.start(1)
    queue.finished(1, sent_at=11.0)
    queue.add(2, STATE, now=11.0, settling=True)  # a slow upload still shows, an interval late
    assert queue.best(now=13.9) is None and queue.best(now=14.0).shot_id == 2


def view_of(job_state: str, *take_states: str) -> CardView:
    takes = [{"id": n, "job_id": 1, "state": s} for n, s in enumerate(take_states)]
    return CardView({"id": 1}, [{"id": 1, "state": job_state}], takes, datetime.now(UTC))


def test_a_clip_is_on_its_way_when_every_version_of_the_job_has_its_clip():
    assert on_its_way(view_of(JobState.RENDERING, TakeState.DOWNLOADING))
    assert on_its_way(view_of(JobState.UPLOADING, TakeState.UPLOADING, TakeState.DELIVERED))
    assert not on_its_way(view_of(JobState.RENDERING, TakeState.DOWNLOADING, TakeState.RENDERING))
    assert not on_its_way(view_of(JobState.DELIVERED, TakeState.DELIVERED)), "final: not held"
    assert not on_its_way(view_of(JobState.RENDERING, TakeState.RENDERING))
