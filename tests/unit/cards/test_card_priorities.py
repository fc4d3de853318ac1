"""Which card edit goes first when chat.update's budget is short: final states, then state
changes, then progress ticks; at most one edit per card per interval; never an older state; and
each workspace's cards on that workspace's budget, with its token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.cards.publisher import CardPublisher, SlackPacing
from bot.slack.budget import SlackBudget, Tier
from bot.slack.clients import SlackClients
from storage import jobs as jobs_db
from storage.db import Store
from storage.engines import connect
from tests.fakes.slack import BOT_TOKEN, web_client
from tests.unit.cards.test_cardpub import new_shot

TEAM = "T0DAILIES"  # the workspace new_shot's jobs belong to (one bot token: the budget key is "")


@pytest.fixture
def store(tmp_path):
    store = Store(connect(tmp_path / "dailies.db"))
    yield store
    store.close()


async def take_of(store: Store, shot_id: int) -> int:
    _, _, takes = await store.run(jobs_db.shot_view, shot_id)
    return takes[0]["id"]


async def test_a_final_state_goes_first_and_progress_waiting_behind_it_is_dropped(slack, store):
    budget = SlackBudget({"chat.update": Tier(per_minute=600, burst=1)})
    cards = CardPublisher(web_client(slack), store, interval=0.0, pacing=SlackPacing(budget))
    shots = [await new_shot(store) for _ in range(4)]
    takes = [await take_of(store, shot) for shot in shots]
    for shot, take in zip(shots, takes, strict=True):
        await cards.ensure_posted(shot)
        await store.run(jobs_db.update_take, take, "rendering", "", progress=10)
        cards.touch(shot)
    await cards.drain()
    ts = {(await store.run(jobs_db.get_shot, shot))["card_ts"]: shot for shot in shots}
    before = slack.count("chat.update")

    await budget.rate_limited("", "chat.update", 0.5)  # the budget is exhausted for a while
    for shot, take in zip(shots[:3], takes[:3], strict=True):
        await store.run(jobs_db.update_take, take, None, "", progress=50)  # progress ticks
        cards.touch(shot)
    await store.run(jobs_db.update_take, takes[3], "uploading", "")
    await store.run(jobs_db.update_take, takes[3], "delivered", "", slack_file_id="F1")
    cards.touch(shots[3])  # the final state arrives last
    await cards.drain()
    await cards.stop()
    await budget.close()

    edits = slack.calls_to("chat.update")[before:]
    order = [ts[c.params["ts"]] for c in edits]
    assert order == [shots[3]], (
        f"the final state alone: the progress ticks were dropped, not sent late: {order}"
    )
    assert edits[0].params["text"].startswith(":white_check_mark: Delivered")
    assert cards.dropped == 3


async def test_a_state_change_goes_before_a_progress_tick(slack, store):
    budget = SlackBudget({"chat.update": Tier(per_minute=600, burst=1)})
    cards = CardPublisher(web_client(slack), store, interval=0.0, pacing=SlackPacing(budget))
    ticking, changing = await new_shot(store), await new_shot(store)
    for shot in (ticking, changing):
        await cards.ensure_posted(shot)
        await store.run(jobs_db.update_take, await take_of(store, shot), "rendering", "", progress=10)
        cards.touch(shot)
    await cards.drain()
    before = slack.count("chat.update")
    await budget.rate_limited("", "chat.update", 0.5)
    await store.run(jobs_db.update_take, await take_of(store, ticking), None, "", progress=60)
    cards.touch(ticking)
    await store.run(jobs_db.update_take, await take_of(store, changing), "uploading", "")
    cards.touch(changing)
    await cards.drain()
    await cards.stop()
    await budget.close()
    changing_ts = (await store.run(jobs_db.get_shot, changing))["card_ts"]
    edits = slack.calls_to("chat.update")[before:]
    assert [c.params["ts"] == changing_ts for c in edits] == [True, False]


async def test_a_card_is_edited_at_most_once_per_interval(slack, store):
    cards = CardPublisher(web_client(slack), store, interval=0.5)
    shot = await new_shot(store)
    take = await take_of(store, shot)
    await cards.ensure_posted(shot)
    await store.run(jobs_db.update_take, take, "rendering", "")
    for progress in range(5, 100, 5):  # a burst of progress ticks coalesces
        await store.run(jobs_db.update_take, take, None, "", progress=progress)
        cards.touch(shot)
    await cards.drain()
    await cards.stop()
    calls = [slack.calls_to("chat.postMessage")[0], *slack.calls_to("chat.update")]
    gaps = [later.at - earlier.at for earlier, later in zip(calls, calls[1:], strict=False)]
    assert len(calls) <= 3 and all(gap >= 0.5 for gap in gaps), gaps
    assert "95%" in slack.calls_to("chat.update")[-1].params["text"], "the latest state landed"


async def test_each_workspace_edits_its_cards_on_its_own_budget_with_its_own_token(slack, store):
    """Distribution mode (clients without a token of their own): a card's edit goes out with its
    job's team's token, and a team whose chat.update budget is paused holds up none of another's."""
    budget = SlackBudget({"chat.update": Tier(per_minute=600, burst=1)})
    asked: list[str] = []

    async def tokens(team_id: str) -> str:
        asked.append(team_id)
        return BOT_TOKEN  # the stand-in serves one bot token whichever team asks

    clients = SlackClients(token="", base_url=slack.api_url, budget=budget, tokens=tokens)
    cards = CardPublisher(
        clients.durable,
        store,
        interval=0.0,
        pacing=SlackPacing(clients.budget, clients.team, clients.serving),
    )
    ours, theirs = await new_shot(store), await new_shot(store)
    await store.run(lambda db: db.execute("UPDATE shots SET team_id = 'T0OTHER' WHERE id = ?", [theirs]))
    for shot in (ours, theirs):
        await cards.ensure_posted(shot)
    assert asked == [TEAM, "T0OTHER"]
    await budget.rate_limited(TEAM, "chat.update", 30.0)  # ours is paused for longer than the test
    for shot in (ours, theirs):
        await store.run(jobs_db.update_take, await take_of(store, shot), "rendering", "", progress=10)
        cards.touch(shot)
    theirs_ts = (await store.run(jobs_db.get_shot, theirs))["card_ts"]
    await slack.wait_for(lambda: any(c.params["ts"] == theirs_ts for c in slack.calls_to("chat.update")))
    ours_ts = (await store.run(jobs_db.get_shot, ours))["card_ts"]
    assert not any(c.params["ts"] == ours_ts for c in slack.calls_to("chat.update")), "ours waits"
    assert asked == [TEAM, "T0OTHER", "T0OTHER"]  # the two posts, then only their edit
    await cards.stop()
    await budget.close()


async def test_edits_slack_failed_to_answer_take_no_more_of_the_budget(slack, store, monkeypatch):
    monkeypatch.setattr("bot.cards.publisher.SLACK_RETRY_FIRST", 0.01)
    budget = SlackBudget({"chat.update": Tier(per_minute=600, burst=5)})
    taken: list[str] = []
    acquire = budget.acquire

    async def counted(team, method, **kw):
        taken.append(method)
        return await acquire(team, method, **kw)

    budget.acquire = counted  # type: ignore[method-assign]
    cards = CardPublisher(web_client(slack), store, interval=0.0, pacing=SlackPacing(budget))
    shot = await new_shot(store)
    take = await take_of(store, shot)
    await cards.ensure_posted(shot)
    slack.fail_next("chat.update", status=503, times=3)  # Slack having trouble
    await store.run(jobs_db.update_take, take, "uploading", "")
    await store.run(jobs_db.update_take, take, "delivered", "", slack_file_id="F1")
    cards.touch(shot)
    await slack.wait_for(lambda: slack.count("chat.update") == 4)
    await cards.drain()
    await cards.stop()
    await budget.close()
    assert slack.calls_to("chat.update")[-1].params["text"].startswith(":white_check_mark: Delivered")
    assert taken.count("chat.update") == 1, "three failed tries and the edit that landed: one token"


async def test_a_progress_tick_slack_failed_to_answer_is_dropped(slack, store):
    cards = CardPublisher(web_client(slack), store, interval=0.0)
    shot = await new_shot(store)
    take = await take_of(store, shot)
    await cards.ensure_posted(shot)
    await store.run(jobs_db.update_take, take, "rendering", "", progress=10)
    cards.touch(shot)
    await cards.drain()
    before = slack.count("chat.update")
    slack.fail_next("chat.update", status=503)
    await store.run(jobs_db.update_take, take, None, "", progress=40)
    cards.touch(shot)
    await cards.drain()
    await cards.stop()
    assert slack.count("chat.update") == before + 1, "tried once, not queued for another try"


async def test_a_tick_that_moves_only_the_seconds_counter_is_not_sent(slack, store):
    cards = CardPublisher(web_client(slack), store, interval=0.0)
    shot = await new_shot(store)
    take = await take_of(store, shot)
    await cards.ensure_posted(shot)
    started = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    await store.run(jobs_db.update_take, take, "rendering", "", submitted_at=started)
    cards.touch(shot)
    await cards.drain()
    rendering = slack.calls_to("chat.update")
    assert len(rendering) == 1 and "elapsed" in rendering[0].params["text"]
    # a poll with no news, the card's counter two seconds on (as if the clock had moved)
    earlier = (datetime.now(UTC) - timedelta(seconds=7)).isoformat()
    await store.run(jobs_db.update_take, take, None, "", progress=0, submitted_at=earlier)
    cards.touch(shot)
    await cards.drain()
    assert slack.count("chat.update") == 1 and cards.dropped == 1
    await store.run(jobs_db.update_take, take, None, "", progress=30)  # a percentage is news
    cards.touch(shot)
    await cards.drain()
    await cards.stop()
    assert slack.count("chat.update") == 2 and "30%" in slack.calls_to("chat.update")[-1].params["text"]
