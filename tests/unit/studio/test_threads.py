"""The pure parts of working in a thread: which version, which model, whether the source can go."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.delivery.fetch_back import result_url_valid
from bot.outcomes import Refusal
from bot.providers.aimlapi.provider import AimlApiProvider
from bot.providers.base import Availability, Mode, SourceInput
from bot.providers.kling.provider import KlingProvider
from bot.request import ThreadInstruction
from bot.studio.thread_plan import (
    approved_or_latest,
    continue_or_from_clip,
    edit_model,
    mark_approved,
    pick_take,
    plan_change,
    plan_repeat,
    source_problem,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def take(version: int, state: str = "delivered", **extra) -> dict:
    return {"id": version * 10, "job_id": version, "version": version, "state": state, **extra}


def everywhere(backend: str, model: str, mode: Mode) -> Availability:
    return Availability(True)


def kling_route(model: str) -> str:
    return "openai" if model.startswith("sora") else "kling"


def test_pick_take_latest_delivered_or_named():
    takes = [take(1), take(2, "failed"), take(3)]
    assert pick_take(takes, None, "edit")["version"] == 3
    assert pick_take(takes, 1, "edit")["version"] == 1
    missing = pick_take(takes, 9, "edit")
    assert isinstance(missing, Refusal) and "v1, v2, v3" in missing.message
    failed = pick_take(takes, 2, "edit")
    assert isinstance(failed, Refusal) and "failed" in failed.message


def test_edit_while_a_newer_version_renders_is_refused_with_a_way_forward():
    takes = [take(1), take(2, "rendering")]
    refusal = pick_take(takes, None, "edit")
    assert isinstance(refusal, Refusal)
    assert "v2 is still rendering" in refusal.message and "`v1: " in refusal.message
    assert pick_take(takes, 1, "edit")["version"] == 1
    assert pick_take(takes, None, "again")["version"] == 1


def test_nothing_delivered_yet():
    refusal = pick_take([take(1, "failed")], None, "edit")
    assert isinstance(refusal, Refusal) and "again" in refusal.message
    assert pick_take([take(1, "failed")], None, "again")["version"] == 1


def test_final_prefers_the_approved_version():
    takes = [take(1, approved=True), take(2)]
    assert approved_or_latest(takes, None)["version"] == 1
    assert approved_or_latest([take(1), take(2)], None)["version"] == 2
    assert approved_or_latest(takes, 2)["version"] == 2


def test_mark_approved_follows_review_rules():
    jobs = {1: {"user_id": "UREQ"}, 2: {"user_id": "UREQ"}}
    decisions = [
        {"take_id": 10, "user_id": "UAPP", "decision": "approve"},
        {"take_id": 20, "user_id": "USOMEONE", "decision": "approve"},  # not an approver
    ]
    marked = mark_approved([take(1), take(2)], jobs, decisions, ("UAPP",), "any")
    assert [t["approved"] for t in marked] == [True, False]


def test_edit_model_keeps_sora_on_openai_and_uses_kling_o1_otherwise():
    sora = take(1, model="sora-2", backend="openai")
    assert edit_model("edit", None, sora, kling_route, everywhere) == ("sora-2", "openai")
    kling = take(1, model="kling-v3", backend="kling")
    assert edit_model("edit", None, kling, kling_route, everywhere) == ("kling-o1", "kling")
    assert edit_model("extend", None, kling, kling_route, everywhere) == ("kling-o1", "kling")
    # a Sora clip from the gateway (which does not remix) is edited with Kling O1
    gateway = take(1, model="sora-2", backend="aimlapi")

    def gateway_edits(backend, model, mode):
        return Availability(not model.startswith("sora"), "the gateway has no Sora edit")

    assert edit_model("edit", None, gateway, lambda m: "aimlapi", gateway_edits) == ("kling-o1", "aimlapi")


def test_edit_model_refusals_name_the_reason():
    kling = take(1, model="kling-v3", backend="kling")
    refusal = edit_model("edit", "kling-v3-pro", kling, kling_route, everywhere)
    assert isinstance(refusal, Refusal) and "kling-o1" in refusal.message

    def gone(backend, model, mode):
        return Availability(False, "OpenAI retired its Sora API", "kling-o1")

    refusal = edit_model("edit", "sora-2", kling, kling_route, gone)
    assert isinstance(refusal, Refusal)
    assert "retired" in refusal.message and "--model kling-o1" in refusal.message


KLING_URL_SECONDS = KlingProvider.result_url_seconds  # 30 days
GATEWAY_URL_SECONDS = AimlApiProvider.result_url_seconds  # about a day


def test_source_problem_per_way_of_taking_the_clip():
    fresh = (NOW - timedelta(days=2)).isoformat()
    kling_clip = take(1, model="kling-v3", backend="kling", result_url="https://cdn/x.mp4", finished_at=fresh)
    assert source_problem("kling", SourceInput.URL, kling_clip, KLING_URL_SECONDS, NOW) is None
    old = dict(kling_clip, finished_at=(NOW - timedelta(days=40)).isoformat())
    assert "expired" in source_problem("kling", SourceInput.URL, old, KLING_URL_SECONDS, NOW)
    local = take(1, model="preview", backend="preview")
    assert "URL" in source_problem("kling", SourceInput.URL, local, None, NOW)
    assert source_problem("preview", SourceInput.FILE, local, None, NOW) is None
    # the gateway takes our file as a data URI
    assert source_problem("aimlapi", SourceInput.URL_OR_FILE, local, None, NOW) is None
    sora_msg = source_problem("openai", SourceInput.OWN_TASK, kling_clip, KLING_URL_SECONDS, NOW)
    assert "Sora edits only clips Sora made" in sora_msg and "--model kling-o1" in sora_msg
    sora_clip = take(1, model="sora-2", backend="openai", provider_task_id="video_1")
    assert source_problem("openai", SourceInput.OWN_TASK, sora_clip, None, NOW) is None
    unsaved = dict(sora_clip, provider_task_id=None)
    assert "Sora edits only" in source_problem("openai", SourceInput.OWN_TASK, unsaved, None, NOW)


def test_result_url_valid_window():
    clip = take(1, result_url="https://x", finished_at=(NOW - timedelta(days=29)).isoformat())
    assert result_url_valid(clip, KLING_URL_SECONDS, NOW)
    assert not result_url_valid(clip, GATEWAY_URL_SECONDS, NOW)
    assert not result_url_valid(take(1), KLING_URL_SECONDS, NOW)
    assert not result_url_valid(clip, None, NOW)  # a backend whose URL we cannot fetch later


def test_plan_change_edit_follows_the_source_length():
    source = take(1, model="kling-v3", backend="kling", seconds=5.0)
    job = {"request": {"seconds": 5, "aspect": "9:16", "resolution": "720p", "audio": True}}
    ins = ThreadInstruction("edit", "make it night", audio=False)
    plan = plan_change(ins, 2, source, job, ("kling-o1", "kling"))
    assert plan.kind == "edit" and plan.mode is Mode.EDIT and plan.takes == 2
    assert plan.request["seconds"] == 5.0 and plan.request["aspect"] == "9:16"
    assert plan.request["keep_audio"] is False and plan.request["parent_version"] == 1
    assert plan.parent_take_id == source["id"] and plan.estimate_usd > 0


def test_plan_change_extend_checks_seconds():
    source = take(1, model="kling-v3", backend="kling", seconds=5.0)
    job = {"request": {"seconds": 5, "aspect": "16:9", "resolution": "720p"}}
    plan = plan_change(ThreadInstruction("extend", "rise", seconds=3), 1, source, job, ("kling-o1", "kling"))
    assert plan.mode is Mode.EXTEND and plan.request["seconds"] == 3
    refusal = plan_change(
        ThreadInstruction("extend", "rise", seconds=14), 1, source, job, ("kling-o1", "kling")
    )
    assert isinstance(refusal, Refusal) and "3 to 10" in refusal.message


def test_plan_repeat_final_fits_the_final_model():
    job = {
        "kind": "generate",
        "model": "kling-v3",
        "parent_take_id": None,
        "request": {"mode": "text", "prompt": "a fox", "seconds": 5, "aspect": "16:9", "resolution": "720p"},
    }
    plan = plan_repeat("final", 1, take(1), job, "sora-2-pro", kling_route, None)
    assert plan.kind == "final" and plan.model == "sora-2-pro" and plan.backend == "openai"
    assert plan.request["seconds"] == 4 and plan.request["resolution"] == "1080p"
    again = plan_repeat("again", 3, take(1), job, "kling-v3", kling_route, ThreadInstruction("again"))
    assert again.takes == 3 and again.request == job["request"]


def test_final_of_an_edit_needs_a_model_that_edits():
    job = {
        "kind": "edit",
        "model": "kling-o1",
        "parent_take_id": 10,
        "request": {"mode": "edit", "prompt": "night", "seconds": 5, "parent_version": 1},
    }
    refusal = plan_repeat("final", 1, take(2), job, "kling-v3-pro", kling_route, None)
    assert isinstance(refusal, Refusal) and "v1" in refusal.message


def test_edit_refuses_seconds_and_points_to_extend():
    source = take(1, model="kling-v3", backend="kling", seconds=5.0)
    job = {"request": {"seconds": 5, "aspect": "16:9", "resolution": "720p"}}
    refusal = plan_change(
        ThreadInstruction("edit", "night", seconds=8), 1, source, job, ("kling-o1", "kling")
    )
    assert isinstance(refusal, Refusal) and "extend" in refusal.message


def test_an_omni_edit_is_its_own_and_continues_while_the_interaction_lasts():
    omni = take(1, model="gemini-omni", backend="gemini", seconds=8.0, interaction_id="v1_a")
    assert edit_model("edit", None, omni, lambda m: "gemini", everywhere) == ("gemini-omni", "gemini")
    job = {"request": {"seconds": 8, "aspect": "16:9", "resolution": "720p"}}
    plan = plan_change(
        ThreadInstruction("edit", "make the kite green"), 1, omni, job, ("gemini-omni", "gemini")
    )
    days = 55 * 86400
    fresh = dict(omni, finished_at=(NOW - timedelta(days=54)).isoformat())
    kept = continue_or_from_clip(replace(plan, source=fresh), "gemini", days, NOW)
    assert "from_clip" not in kept.request and not kept.request.get("notes")
    old = dict(omni, finished_at=(NOW - timedelta(days=56)).isoformat())
    late = continue_or_from_clip(replace(plan, source=old), "gemini", days, NOW)
    assert late.request["from_clip"] is True
    assert "v1's conversation on gemini has expired (kept 55 days)" in late.request["notes"][0]
    # a clip another model made has no conversation here: the edit works from it, without a note
    kling = dict(take(1, model="kling-v3", backend="kling"), finished_at=NOW.isoformat())
    other = continue_or_from_clip(replace(plan, source=kling), "gemini", days, NOW)
    assert other.request["from_clip"] is True and not other.request.get("notes")
