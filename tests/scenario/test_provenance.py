"""Every delivered clip says it was made by AI, the way Slack shows it: the caption in the thread, the
uploaded MP4's metadata and, with a certificate, its signed C2PA manifest (edits name their source,
a campaign's cut every shot's version it joins, in sequence order)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from bot.media.disclosure import AI_SOURCE
from bot.media.probe import read_tags
from bot.media.provenance import read_manifest
from tests.fakes.c2pa_certs import write_chain
from tests.fakes.slack import BOT_TOKEN
from tests.harness import running_bot
from tests.scenario.test_cli import dailies
from tests.scenario.test_scenario_cut import campaign, files_of, the_cut
from tests.scenario.test_scenario_cut import reply as board_reply
from tests.scenario.test_scenario_threads import first_shot, reply, uploads


def _delivered(slack, job_id: int):
    """The caption and the uploaded file of job `job_id`'s clip, as Slack holds them."""
    done = next(u for u in uploads(slack) if f"job J{job_id}" in u["initial_comment"])
    return done["initial_comment"], slack.upload_path(done["files"][0]["id"])


def _actions(manifest: dict) -> list[dict]:
    return next(a["data"]["actions"] for a in manifest["assertions"] if a["label"].startswith("c2pa.actions"))


async def test_caption_and_metadata_say_ai_generated(bot, slack):
    job = await bot.new_job("a red fox trotting through fresh snow --seconds 3")
    await bot.settle()
    caption, clip = _delivered(slack, job["id"])
    assert caption.startswith(f"v1 · AI-generated with {job['model']} · 3s")
    assert "unsigned" not in caption, "no certificate configured: nothing failed"
    tags = read_tags(clip)
    assert tags["comment"] == f"AI-generated with {job['model']}"
    assert "Dailies" in tags["description"] and job["backend"] in tags["description"]
    assert read_manifest(clip) is None


async def test_with_a_certificate_clips_carry_a_signed_manifest_and_edits_name_their_source(tmp_path, slack):
    cert, key = write_chain(tmp_path / "certs")
    async with running_bot(tmp_path, slack, DAILIES_C2PA_CERT=str(cert), DAILIES_C2PA_KEY=str(key)) as bot:
        card_ts = await first_shot(bot, slack, "a lighthouse at dusk --seconds 3")
        first = (await bot.jobs())[0]
        await reply(bot, card_ts, "make it dusk, slow the camera down")
        edit = await bot.wait_job("delivered", job_index=1)
        await bot.settle()
        v1 = (await bot.takes(first["id"]))[0]
    caption, clip = _delivered(slack, first["id"])
    assert "AI-generated with kling-v3" in caption and "unsigned" not in caption
    manifest = read_manifest(clip)
    assert manifest["validation_state"] == "Valid"
    (created,) = _actions(manifest)
    assert created["action"] == "c2pa.created" and created["digitalSourceType"] == AI_SOURCE
    assert created["parameters"]["model"] == "kling-v3"
    assert read_tags(clip)["comment"] == "AI-generated with kling-v3"

    caption, clip = _delivered(slack, edit["id"])
    assert caption.startswith(f"v2 · AI-generated with {edit['model']}")
    manifest = read_manifest(clip)
    assert manifest["validation_state"] == "Valid"
    edited = _actions(manifest)[-1]
    assert edited["action"] == "c2pa.edited" and edited["digitalSourceType"] == AI_SOURCE
    assert edited["parameters"]["model"] == edit["model"]
    sources = [i for i in manifest["ingredients"] if i.get("instance_id") == f"dailies:take:{v1['id']}"]
    assert [s["title"] for s in sources] == ["v1 · kling-v3"]


async def test_a_clip_whose_signing_fails_is_delivered_saying_unsigned(tmp_path, slack, caplog):
    cert, key = write_chain(tmp_path / "certs", wrong_key=True)
    with caplog.at_level(logging.WARNING):
        async with running_bot(
            tmp_path, slack, DAILIES_C2PA_CERT=str(cert), DAILIES_C2PA_KEY=str(key)
        ) as bot:
            job = await bot.new_job("a red fox trotting through fresh snow --seconds 3")
            await bot.settle()
    assert job["state"] == "delivered"
    caption, clip = _delivered(slack, job["id"])
    assert "AI-generated with kling-v3" in caption and "unsigned (C2PA signing failed)" in caption
    assert read_tags(clip)["comment"] == "AI-generated with kling-v3"
    assert read_manifest(clip) is None
    assert "delivering it unsigned" in caplog.text and "does not match" in caplog.text
    assert "PRIVATE KEY" not in caplog.text
    assert not list((tmp_path / "media").glob("*.mp4")), "labelled copies are not left behind"


async def test_a_signed_cut_names_each_shots_version_as_an_ingredient_in_sequence_order(tmp_path, slack):
    cert, key = write_chain(tmp_path / "certs")
    shots = "a red sneaker --seconds 1\nthe sneaker spins --seconds 1\na runner laces it up --seconds 1"
    async with running_bot(tmp_path, slack, DAILIES_C2PA_CERT=str(cert), DAILIES_C2PA_KEY=str(key)) as bot:
        ts = await campaign(bot, slack, shots)
        await board_reply(bot, slack, ts, "cut S2 S1 S3")
        message = await the_cut(slack, ts)
        (cut,) = [j for j in await bot.jobs() if j["kind"] == "cut"]
    assert "unsigned" not in message["text"]
    path = files_of(slack, message)["mp4"]
    manifest = read_manifest(Path(path))
    assert manifest["validation_state"] == "Valid"
    edited = _actions(manifest)[-1]
    assert edited["action"] == "c2pa.edited" and edited["digitalSourceType"] == AI_SOURCE
    assert [i["title"] for i in manifest["ingredients"]] == [
        "S2 v1 · preview",
        "S1 v1 · preview",
        "S3 v1 · preview",
    ]
    pieces = cut["request"]["cut"]["pieces"]
    assert [p["shot"] for p in pieces] == [2, 1, 3]
    assert [i["instance_id"] for i in manifest["ingredients"]] == [
        f"dailies:take:{p['take_id']}" for p in pieces
    ]
    # each shot's delivered clip was signed: its manifest is kept as that ingredient's
    assert all(i.get("active_manifest") in manifest["store"]["manifests"] for i in manifest["ingredients"])
    tags = read_tags(Path(path))
    assert tags["comment"] == "AI-generated with preview"
    assert tags["description"].startswith(
        "AI-generated cut of S2 v1 · S1 v1 · S3 v1: shots made by AI with preview"
    )


async def test_doctor_checks_the_signing_certificate(tmp_path, slack):
    cert, key = write_chain(tmp_path / "good")
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack.api_url}
    code, out, err = await dailies(
        tmp_path, "doctor", DAILIES_C2PA_CERT=str(cert), DAILIES_C2PA_KEY=str(key), **env
    )
    assert code == 0 and "ok: C2PA signing certificate (ES256) valid until" in out, out + err
    cert, key = write_chain(tmp_path / "bad", wrong_key=True)
    code, out, err = await dailies(
        tmp_path, "doctor", DAILIES_C2PA_CERT=str(cert), DAILIES_C2PA_KEY=str(key), **env
    )
    problem = next(line for line in out.splitlines() if "C2PA" in line)
    assert code != 0 and problem.startswith("problem:") and "does not match" in problem
    assert "PRIVATE KEY" not in out + err and "Traceback" not in err


async def test_the_clip_dailies_try_keeps_is_the_labelled_one(tmp_path):
    code, out, err = await dailies(tmp_path, "try", "a red fox in fresh snow --seconds 3")
    assert code == 0, out + err
    path = Path(re.findall(r"(\S+\.mp4)\b", out)[-1])
    tags = read_tags(path if path.is_absolute() else tmp_path / path)
    assert tags["comment"] == "AI-generated with kling-v3" and "Dailies" in tags["description"]
