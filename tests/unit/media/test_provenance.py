"""Labelling a clip: the remux writes the disclosure into the MP4's tags without re-encoding, and a
signed C2PA manifest (made with a throwaway CA and leaf) reads back with the right action, source
type, model and ingredients (a cut: every piece, in sequence order); a signer that cannot sign
leaves the clip labelled, marked unsigned."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import av
import pytest

from bot.media.disclosure import AI_SOURCE, ClipFacts, SourceClip, container_tags
from bot.media.probe import read_tags
from bot.media.provenance import Labeller, read_manifest, write_tags
from tests.fakes.c2pa_certs import write_chain
from tests.fakes.mp4 import write_mp4

GENERATED = ClipFacts(model="kling-v3", provider="kling", kind="generate", title="kling-v3 v1.mp4")
EDIT = ClipFacts(
    model="kling-o1",
    provider="kling",
    kind="edit",
    title="kling-o1 v2.mp4",
    source=SourceClip(take_id=4, version=1, model="kling-v3"),
)

CUT = ClipFacts(
    model="kling-v3 + veo-3",
    provider="dailies",
    kind="cut",
    title="the cut v1.mp4",
    pieces=(
        SourceClip(take_id=7, version=1, model="veo-3", shot=2),
        SourceClip(take_id=3, version=2, model="kling-v3", shot=1),
        SourceClip(take_id=9, version=1, model="kling-v3", shot=3),
    ),
)


@pytest.fixture
def clip(tmp_path) -> Path:
    return write_mp4(tmp_path / "take-1.mp4", seconds=1.0)


@pytest.fixture
def signer(tmp_path) -> Labeller:
    cert, key = write_chain(tmp_path / "certs")
    return Labeller(str(cert), str(key))


def _packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(video=0) if p.size]


def _top_boxes(path: Path) -> list[str]:
    """The MP4's top-level box types in file order."""
    boxes, data = [], path.read_bytes()
    at = 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        boxes.append(data[at + 4 : at + 8].decode("latin-1"))
        if size == 1:
            size = int.from_bytes(data[at + 8 : at + 16], "big")
        at += size if size else len(data)
    return boxes


def _actions(manifest: dict) -> list[dict]:
    return next(a["data"]["actions"] for a in manifest["assertions"] if a["label"].startswith("c2pa.actions"))


def test_remux_writes_the_disclosure_tags_and_copies_the_streams(clip, tmp_path):
    out = tmp_path / "tagged.mp4"
    write_tags(clip, out, {"comment": "AI-generated with kling-v3", "description": "by Dailies"})
    tags = read_tags(out)
    assert tags["comment"] == "AI-generated with kling-v3" and tags["description"] == "by Dailies"
    assert _packets(out) == _packets(clip), "stream copy: the same compressed packets, nothing re-encoded"
    assert "comment" not in read_tags(clip)
    boxes = _top_boxes(out)
    assert boxes.index("moov") < boxes.index("mdat"), "faststart: a player needs no second request"


def test_unsigned_label_names_model_provider_and_dailies(clip):
    labelled = Labeller().label(clip, GENERATED)
    assert (labelled.signed, labelled.unsigned) == (False, False)
    tags = read_tags(labelled.path)
    assert tags["comment"] == "AI-generated with kling-v3"
    assert "Dailies" in tags["description"] and "kling" in tags["description"]
    assert read_manifest(labelled.path) is None
    assert labelled.path != clip and clip.exists(), "the provider's clip stays, to label again on a resume"


def test_signed_clip_reads_back_as_created_by_ai_with_its_model(clip, signer):
    labelled = signer.label(clip, GENERATED)
    assert labelled.signed and not labelled.unsigned
    manifest = read_manifest(labelled.path)
    assert manifest["validation_state"] == "Valid"
    assert manifest["claim_generator_info"][0]["name"] == "Dailies"
    (created,) = _actions(manifest)
    assert created["action"] == "c2pa.created"
    assert created["digitalSourceType"] == AI_SOURCE
    assert created["softwareAgent"]["name"] == "kling-v3"
    assert created["parameters"]["model"] == "kling-v3" and created["parameters"]["provider"] == "kling"
    assert read_tags(labelled.path)["comment"] == "AI-generated with kling-v3", "tags survive signing"
    assert _packets(labelled.path) == _packets(clip)
    # hashed as a Merkle tree of small leaves: what keeps signing a large clip at a few MB of memory
    bmff = next(a["data"] for a in manifest["assertions"] if a["label"].startswith("c2pa.hash.bmff"))
    assert bmff["merkle"], "a plain BMFF hash makes c2pa-rs read the clip in 256 MB pieces"


def test_an_edit_is_edited_with_its_source_clip_as_parent(clip, signer):
    manifest = read_manifest(signer.label(clip, EDIT).path)
    assert manifest["validation_state"] == "Valid"
    assert [a["action"] for a in _actions(manifest)] == ["c2pa.opened", "c2pa.edited"]
    edited = _actions(manifest)[1]
    assert edited["digitalSourceType"] == AI_SOURCE and edited["parameters"]["model"] == "kling-o1"
    (source,) = manifest["ingredients"]
    assert source["title"] == "v1 · kling-v3"
    assert source["instance_id"] == "dailies:take:4" and source["relationship"] == "parentOf"


def test_a_providers_own_manifest_is_kept_as_the_parent(clip, signer, tmp_path):
    provider_clip = tmp_path / "provider.mp4"  # a provider's file that arrives with content credentials
    shutil.copy(signer.label(clip, GENERATED).path, provider_clip)
    theirs = read_manifest(provider_clip)["label"]
    manifest = read_manifest(signer.label(provider_clip, EDIT).path)
    assert manifest["validation_state"] == "Valid"
    by_relation = {i["relationship"]: i for i in manifest["ingredients"]}
    assert by_relation["parentOf"]["active_manifest"] == theirs
    assert theirs in manifest["store"]["manifests"]
    assert by_relation["inputTo"]["instance_id"] == "dailies:take:4"
    assert [a["action"] for a in _actions(manifest)] == ["c2pa.opened", "c2pa.edited"]


@pytest.mark.parametrize(
    "broken",
    [{"wrong_key": True}, {"leaf_days": (-10, -1)}, {"leaf_only": True}],
    ids=["key-of-another-certificate", "expired", "self-signed-leaf-alone"],
)
def test_a_signer_that_cannot_sign_leaves_the_clip_labelled_and_unsigned(clip, tmp_path, caplog, broken):
    cert, key = write_chain(tmp_path / "bad", **broken)
    with caplog.at_level(logging.WARNING, logger="bot.media.provenance"):
        labelled = Labeller(str(cert), str(key)).label(clip, GENERATED)
    assert (labelled.signed, labelled.unsigned) == (False, True)
    assert read_tags(labelled.path)["comment"] == "AI-generated with kling-v3"
    assert read_manifest(labelled.path) is None
    assert not (tmp_path / "take-1.signed.mp4").exists(), "no half-written output is left behind"
    assert "delivering it unsigned" in caplog.text
    assert "PRIVATE KEY" not in caplog.text and key.read_text().splitlines()[1] not in caplog.text


def test_a_file_that_is_not_a_video_is_passed_on_unlabelled(tmp_path):
    junk = tmp_path / "take-9.mp4"
    junk.write_bytes(b"not a video at all")
    labelled = Labeller().label(junk, GENERATED)
    assert labelled.path == junk and not labelled.signed


def test_a_cuts_tags_say_it_is_an_ai_generated_cut_of_its_shots_and_name_their_models():
    tags = container_tags(CUT)
    assert tags["comment"] == "AI-generated with kling-v3 + veo-3", "the caption's words"
    assert tags["description"] == (
        "AI-generated cut of S2 v1 · S1 v2 · S3 v1: shots made by AI with veo-3 + kling-v3, "
        "assembled and delivered by Dailies"
    )
    assert "cut" not in container_tags(EDIT)["description"], "an edit says what it did before"


def test_a_cut_names_every_piece_in_sequence_order_and_keeps_a_manifest_a_piece_carries(
    clip, signer, tmp_path
):
    s2 = write_mp4(tmp_path / "take-7.mp4", seconds=1.0)
    s1 = tmp_path / "take-3.mp4"  # a version fetched back from Slack: signed by Dailies when delivered
    shutil.copy(signer.label(write_mp4(tmp_path / "take-3-raw.mp4"), GENERATED).path, s1)
    theirs = read_manifest(s1)["label"]
    manifest = read_manifest(signer.label(clip, CUT, (s2, s1, tmp_path / "gone.mp4")).path)
    assert manifest["validation_state"] == "Valid"
    actions = _actions(manifest)
    assert [a["action"] for a in actions] == ["c2pa.opened", "c2pa.placed", "c2pa.edited"]
    edited = actions[-1]
    assert edited["digitalSourceType"] == AI_SOURCE
    assert edited["parameters"]["models"] == ["veo-3", "kling-v3"]
    assert [s["shot"] for s in edited["parameters"]["shots"]] == ["S2 v1", "S1 v2", "S3 v1"]
    by_id = {i["instance_id"]: i for i in manifest["ingredients"]}
    assert [i["title"] for i in map(by_id.get, ("dailies:take:7", "dailies:take:3", "dailies:take:9"))] == [
        "S2 v1 · veo-3",
        "S1 v2 · kling-v3",
        "S3 v1 · kling-v3",
    ]
    assert by_id["dailies:take:7"]["relationship"] == "parentOf", "the first piece is the one opened"
    assert by_id["dailies:take:3"]["active_manifest"] == theirs and theirs in manifest["store"]["manifests"]
    assert "active_manifest" not in by_id["dailies:take:7"], "a clip without a manifest brings none"
    # the edited action names the pieces in sequence order (S3's file is gone: it is listed first)
    named = [ref["url"].rsplit("/", 1)[1] for ref in edited["parameters"]["ingredients"]]
    labels = {i["label"]: i["instance_id"] for i in manifest["ingredients"]}
    assert [labels[n] for n in named] == ["dailies:take:7", "dailies:take:3", "dailies:take:9"]


def test_a_three_shot_cut_with_its_clips_on_disk_lists_them_in_sequence_order(clip, signer, tmp_path):
    files = [write_mp4(tmp_path / f"take-{p.take_id}.mp4", seconds=0.5) for p in CUT.pieces]
    labelled = signer.label(clip, CUT, files)
    manifest = read_manifest(labelled.path)
    assert manifest["validation_state"] == "Valid"
    assert [i["title"] for i in manifest["ingredients"]] == [
        "S2 v1 · veo-3",
        "S1 v2 · kling-v3",
        "S3 v1 · kling-v3",
    ]
    assert [i["relationship"] for i in manifest["ingredients"]] == ["parentOf", "componentOf", "componentOf"]
    assert _actions(manifest)[-1]["action"] == "c2pa.edited"
    assert read_tags(labelled.path)["description"].startswith("AI-generated cut of S2 v1 · S1 v2 · S3 v1")
