"""Issue 6, the way Slack drives it: reactions and buttons review versions, the cost gate holds
jobs until an approver starts them, spend and audit are reported."""

from __future__ import annotations

import asyncio

from bot.request.catalogue import shipped_catalogue
from bot.request.pricing import estimate_cost
from tests.fakes.kling import FakeKling
from tests.fakes.slack_requests import reaction_event
from tests.harness import running_bot

get_model = shipped_catalogue().get

CHANNEL = "C0CHANNEL"
ALICE, BOSS, CAROL, EVE = "U0ALICE", "U0BOSS", "U0CAROL", "U0EVE"
V3_5S = estimate_cost(get_model("kling-v3"), seconds=5, resolution="720p", audio=False)


def kling_env(fake: FakeKling) -> dict[str, str]:
    return {"KLING_BASE_URL": fake.url, "KLING_API_KEY": fake.api_key}


async def say(bot, slack, text: str, user: str = ALICE) -> str:
    """A /video subcommand; its ephemeral answer (from the ack or the response_url)."""
    before = slack.count("response_url")
    status, body = await bot.command(text, user_id=user)
    assert status == 200
    if body:
        return body
    await slack.wait_for(lambda: slack.count("response_url") > before)
    return slack.calls_to("response_url")[-1].params["text"]


async def react(bot, name: str, user: str, ts: str, added: bool = True) -> None:
    status, _ = await bot.event(reaction_event(name, user=user, channel=CHANNEL, ts=ts, added=added))
    assert status == 200


async def card_ts(bot, job: dict) -> str:
    shot = await bot.dailies.store.run(lambda db: db["shots"].get(job["shot_id"]))
    return shot["card_ts"]


async def decided(bot) -> list[tuple[str, str]]:
    """Every recorded review decision, oldest first: (user, decision)."""
    rows = await bot.dailies.store.run(lambda db: list(db["approvals"].rows_where(order_by="id")))
    return [(r["user_id"], r["decision"]) for r in rows]


async def wait_for(check, timeout: float = 10.0):
    for _ in range(int(timeout / 0.05)):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("condition never held")


async def test_over_the_job_limit_waits_then_x_cancels_without_a_provider_call(tmp_path, slack):
    async with FakeKling() as fake, running_bot(tmp_path, slack, **kling_env(fake)) as bot:
        await say(bot, slack, "settings job-limit 0.10")
        await bot.command("a fox in snow --seconds 5")
        job = await bot.wait_job("awaiting_approval")
        await bot.settle()
        assert [t["state"] for t in await bot.takes(job["id"])] == ["held"]
        ts = await card_ts(bot, job)
        card = slack.message(CHANNEL, ts)
        assert card["text"].startswith(":raised_hand: Awaiting approval")
        assert f"${V3_5S:,.2f}" in card["text"] and "anyone here can approve" in card["text"]
        assert "per-job limit" in str(card["blocks"])
        await react(bot, "x", ALICE, ts)
        job = await bot.wait_job("cancelled")
        await bot.settle()
        assert [t["state"] for t in await bot.takes(job["id"])] == ["cancelled"]
        assert fake.creates == []
        assert slack.count("files.completeUploadExternal") == 0
        assert any("rejected" in m.get("text", "") for m in slack.thread(CHANNEL, ts))


async def test_only_an_approvers_check_starts_a_gated_job(tmp_path, slack):
    async with FakeKling(polls_to_finish=1) as fake, running_bot(tmp_path, slack, **kling_env(fake)) as bot:
        await say(bot, slack, f"settings approvers <@{BOSS}>")
        await say(bot, slack, "settings job-limit 0.10")
        await bot.command("a fox in snow --seconds 5")
        job = await bot.wait_job("awaiting_approval")
        await bot.settle()
        ts = await card_ts(bot, job)
        assert f"approvers: <@{BOSS}>" in slack.message(CHANNEL, ts)["text"]
        await react(bot, "white_check_mark", ALICE, ts)  # the requester is not an approver here
        await react(bot, "white_check_mark", CAROL, ts)
        await react(bot, "white_check_mark", BOSS, ts)
        await bot.wait_job("delivered")
        assert len(fake.creates) == 1
        assert await decided(bot) == [(BOSS, "approve")]
        starts = await bot.dailies.store.run(lambda db: list(db["audit"].rows_where("action = 'start'")))
        assert [r["user_id"] for r in starts] == [BOSS]


async def test_approving_a_version_marks_the_card_and_withdrawing_unmarks_it(bot, slack):
    await bot.command("a lighthouse --seconds 2 --model preview")
    job = await bot.wait_job("delivered")
    await bot.settle()
    ts = await card_ts(bot, job)
    await react(bot, "white_check_mark", EVE, ts)  # a colleague: counts, the channel has no approvers
    await wait_for(lambda: _reacted(slack, ts))
    assert await decided(bot) == [(EVE, "approve")]
    await bot.settle()
    card = slack.message(CHANNEL, ts)
    assert card["text"].startswith(":white_check_mark: Approved v1")
    assert f"<@{EVE}>" in str(card["blocks"]) and "*approved*" in str(card["blocks"])
    take = (await bot.takes(job["id"]))[0]
    assert take["approved_at"]
    await react(bot, "white_check_mark", EVE, ts, added=False)
    await bot.settle()
    await wait_for(lambda: _not_approved(slack, ts))
    assert (await bot.takes(job["id"]))[0]["approved_at"] is None


async def _reacted(slack, ts: str) -> bool:
    return bool(slack.reactions(CHANNEL, ts).get("white_check_mark"))  # only the bot adds reactions here


async def _not_approved(slack, ts: str) -> bool:
    return slack.message(CHANNEL, ts)["text"].startswith(":white_check_mark: Delivered")


async def test_all_rule_needs_both_approvers_on_the_clip_message(bot, slack):
    await say(bot, slack, f"settings approvers <@{BOSS}> <@{CAROL}>")
    await say(bot, slack, "settings approval all")
    await bot.command("a kite --seconds 2 --model preview")
    job = await bot.wait_job("delivered")
    await bot.settle()
    ts = await card_ts(bot, job)
    clip_ts = next(m["ts"] for m in slack.thread(CHANNEL, ts) if m.get("files"))
    await react(bot, "white_check_mark", BOSS, clip_ts)
    await wait_for(lambda: _count_decisions(bot, 1))
    await bot.settle()
    assert "1 of 2 approvals" in str(slack.message(CHANNEL, ts)["blocks"])
    assert not slack.message(CHANNEL, ts)["text"].startswith(":white_check_mark: Approved")
    await react(bot, "white_check_mark", CAROL, clip_ts)
    await wait_for(lambda: _approved(slack, ts))
    # the clip message's ts came from files.info shares at delivery: conversations.replies allows a
    # distributed app one call a minute
    assert slack.count("conversations.replies") == 0


async def test_a_reaction_on_a_clip_unindexed_at_delivery_resolves_without_conversations_replies(bot, slack):
    """Slack lists a file's share a moment after the upload; the clip message's ts is then learnt
    when someone reacts, from files.info shares (Tier 4), never from conversations.replies."""
    # at delivery files.info knows the file but no share yet
    slack.fail_next("files.info", body={"ok": True, "file": {"id": "F0PENDING", "shares": {}}})
    await bot.command("a kite --seconds 2 --model preview")
    job = await bot.wait_job("delivered")
    await bot.settle()
    take = (await bot.takes(job["id"]))[0]
    indexed = await bot.dailies.store.run(
        lambda db: list(db["messages"].rows_where("take_id = ?", [take["id"]]))
    )
    assert indexed == [], "the share was not listed at delivery"
    ts = await card_ts(bot, job)
    clip_ts = next(m["ts"] for m in slack.thread(CHANNEL, ts) if m.get("files"))
    looked_up = slack.count("files.info")
    await react(bot, "white_check_mark", EVE, clip_ts)
    await wait_for(lambda: _approved(slack, ts))
    assert (await bot.takes(job["id"]))[0]["approved_at"]
    assert slack.count("conversations.replies") == 0
    assert slack.count("files.info") == looked_up + 1
    await react(bot, "white_check_mark", EVE, clip_ts, added=False)  # now indexed: no look-up
    await wait_for(lambda: _not_approved(slack, ts))
    assert slack.count("files.info") == looked_up + 1 and slack.count("conversations.replies") == 0


async def _count_decisions(bot, n: int) -> bool:
    return len(await decided(bot)) == n


async def _approved(slack, ts: str) -> bool:
    return slack.message(CHANNEL, ts)["text"].startswith(":white_check_mark: Approved v1")


async def test_a_non_approver_pressing_a_button_is_told_and_nothing_happens(bot, slack):
    await say(bot, slack, f"settings approvers <@{BOSS}>")
    await bot.command("a boat --seconds 2 --model preview")
    job = await bot.wait_job("delivered")
    await bot.settle()
    ts = await card_ts(bot, job)
    take = (await bot.takes(job["id"]))[0]
    before = slack.count("response_url")
    for action in ("approve", "another_take", "final_render"):
        await bot.action(
            action, f"{job['shot_id']}:take:{take['id']}", user_id=EVE, channel_id=CHANNEL, message_ts=ts
        )
    await slack.wait_for(lambda: slack.count("response_url") >= before + 3)
    texts = [c.params["text"] for c in slack.calls_to("response_url")[before:]]
    assert texts == ["Only approvers can do that."] * 3
    assert len(await bot.jobs()) == 1
    await bot.action(
        "approve", f"{job['shot_id']}:take:{take['id']}", user_id=BOSS, channel_id=CHANNEL, message_ts=ts
    )
    await wait_for(lambda: _approved(slack, ts))


async def test_two_concurrent_jobs_cannot_both_overrun_a_small_budget(tmp_path, slack):
    async with FakeKling() as fake, running_bot(tmp_path, slack, **kling_env(fake)) as bot:
        fake.never_finish = True
        await say(bot, slack, f"settings budget {V3_5S * 1.5:.2f}")
        await asyncio.gather(bot.command("a fox --seconds 5"), bot.command("an owl --seconds 5"))
        await wait_for(lambda: _count_jobs(bot, 2))
        states = sorted(j["state"] for j in await bot.jobs())
        assert states[0] == "awaiting_approval" and states[1] in ("queued", "rendering")
        await say(bot, slack, "audit")
        text = slack.calls_to("response_url")[-1].params["text"]
        assert "gate" in text and "held: estimate" in text and "remains of the budget" in text


async def _count_jobs(bot, n: int) -> bool:
    return len(await bot.jobs()) == n


async def test_spend_after_a_refusal_is_zero(tmp_path, slack):
    async with FakeKling(polls_to_finish=1) as fake, running_bot(tmp_path, slack, **kling_env(fake)) as bot:
        fake.refuse_next_task()
        await bot.command("a fox --seconds 5")
        await bot.wait_job("failed")
        text = await say(bot, slack, "spend")
        assert "*Spend this month:* $0.00" in text and "Nothing delivered" in text
        await bot.command("a fox again --seconds 5")
        await bot.wait_job("delivered")
        text = await say(bot, slack, "spend")
        assert f"`kling-v3`: ${V3_5S:,.2f} (1 clip)" in text and f"<@{ALICE}>: ${V3_5S:,.2f}" in text


async def test_cancel_button_while_rendering_stops_and_nothing_is_uploaded(tmp_path, slack):
    async with FakeKling() as fake, running_bot(tmp_path, slack, **kling_env(fake)) as bot:
        fake.never_finish = True
        await bot.command("a fox --seconds 5")
        job = await bot.wait_job("rendering")
        ts = await card_ts(bot, job)
        await bot.action(
            "cancel", f"{job['shot_id']}:job:{job['id']}", user_id=EVE, channel_id=CHANNEL, message_ts=ts
        )
        await bot.action(
            "cancel", f"{job['shot_id']}:job:{job['id']}", user_id=ALICE, channel_id=CHANNEL, message_ts=ts
        )
        await bot.wait_job("cancelled")
        fake.never_finish = False
        for task_id in list(fake.tasks):
            fake.complete(task_id)
        await bot.settle()
        assert slack.count("files.completeUploadExternal") == 0
        assert [t["state"] for t in await bot.takes(job["id"])] == ["cancelled"]
        assert any(f"cancelled by <@{ALICE}>" in m.get("text", "") for m in slack.thread(CHANNEL, ts))
        texts = [c.params["text"] for c in slack.calls_to("response_url")]
        assert "Only approvers can do that." in texts


async def test_audit_lists_settings_decisions_and_cancellations(bot, slack):
    await say(bot, slack, "settings job-limit 5")
    await bot.command("a kite --seconds 2 --model preview")
    job = await bot.wait_job("delivered")
    await bot.settle()
    ts = await card_ts(bot, job)
    await react(bot, "x", ALICE, ts)
    await wait_for(lambda: _audited(bot, "reject"))
    text = await say(bot, slack, "audit")
    assert "settings" in text and "job-limit = 5" in text
    assert f"<@{ALICE}> reject J{job['id']}: v1 by reaction" in text
    assert text.index("reject") < text.index("settings")  # newest first


async def _audited(bot, action: str) -> bool:
    rows = await bot.dailies.store.run(lambda db: list(db["audit"].rows_where("action = ?", [action])))
    return bool(rows)


async def test_repeat_reaction_asks_for_another_take_once_per_delivery(bot, slack):
    await bot.command("a comet --seconds 2 --model preview")
    job = await bot.wait_job("delivered")
    await bot.settle()
    ts = await card_ts(bot, job)
    event = reaction_event("repeat", user=ALICE, channel=CHANNEL, ts=ts)
    await bot.event(event, event_id="EvREPEAT1")
    await bot.event(event, event_id="EvREPEAT1")  # Slack's retry
    again = await bot.wait_job("delivered", job_index=1)
    assert again["kind"] == "again" and again["shot_id"] == job["shot_id"]
    await bot.settle()
    assert len(await bot.jobs()) == 2
