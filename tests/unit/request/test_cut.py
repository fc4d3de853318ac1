"""`cut` as typed in a board's thread, the version each shot contributes, and every check made
before any work (issue 25)."""

from __future__ import annotations

import pytest

from bot.outcomes import Refusal
from bot.request.cut import (
    CutAsk,
    CutPiece,
    Version,
    chosen,
    clock,
    cut_caption,
    parse_cut,
    plan_cut,
    unapproved_note,
    without_aspect,
)


@pytest.mark.parametrize(
    ("text", "ask"),
    [
        ("cut", CutAsk(())),
        ("Cut.", CutAsk(())),
        ("cut --fade 0.5", CutAsk((), 0.5)),
        ("cut —fade 1s", CutAsk((), 1.0)),
        ("cut S3 S1 S2[1.5-4]", CutAsk((CutPiece(3), CutPiece(1), CutPiece(2, 1.5, 4.0)))),
        ("cut s2, s1[0-2]", CutAsk((CutPiece(2), CutPiece(1, 0.0, 2.0)))),
        ("cut S1[2-] S2[-3s] --fade 0.25", CutAsk((CutPiece(1, 2.0, None), CutPiece(2, None, 3.0)), 0.25)),
        ("cut --aspect 9:16", CutAsk((), 0.0, "9:16")),
        ("cut S2 S1 —aspect 1:1 --fade 0.5", CutAsk((CutPiece(2), CutPiece(1)), 0.5, "1:1")),
    ],
)
def test_a_cut_is_the_word_then_only_shots_trims_and_fade(text, ask):
    assert parse_cut(text) == ask


@pytest.mark.parametrize(
    "text", ["cut to a close-up", "cut the last second", "cutting room", "make it dusk", ""]
)
def test_anything_else_is_not_a_cut(text):
    assert parse_cut(text) is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("cut --fade", "`--fade` takes seconds"),
        ("cut --fade soft", "`--fade` takes seconds"),
        ("cut --fade 5", "at most 2 seconds"),
        ("cut S2[4-1]", "ends before it starts"),
        ("cut S2[a-b]", "is not a trim"),
        ("cut S2[-]", "is not a trim"),
        ("cut S2[1-2", "I can't read `S2[1-2`"),
        ("cut --aspect", "`--aspect` takes"),
        ("cut --aspect portrait", "`--aspect` takes"),
    ],
)
def test_a_cut_asked_wrongly_says_how_to_ask(text, says):
    refused = parse_cut(text)
    assert isinstance(refused, Refusal) and says in refused.message


def v(take_id, version, seconds=5.0, approved=False):
    return Version(take_id, version, seconds, approved, "preview")


SHOTS = {1: [v(11, 1), v(12, 2, approved=True), v(13, 3)], 2: [v(21, 1, 4.0)], 3: [v(31, 1, 3.0)]}


def test_each_shot_gives_its_approved_version_else_its_latest():
    assert chosen(SHOTS[1]) == (SHOTS[1][1], True)
    assert chosen(SHOTS[2]) == (SHOTS[2][0], False)
    assert chosen([]) is None


def test_a_plain_cut_takes_every_shot_in_order_and_names_the_unapproved():
    plan = plan_cut(CutAsk(()), SHOTS)
    assert not isinstance(plan, Refusal)
    assert [p.label for p in plan.pieces] == ["S1 v2", "S2 v1", "S3 v1"]
    assert plan.seconds == 12.0 and plan.unapproved == (2, 3)
    assert (
        unapproved_note(plan.unapproved)
        == "S2, S3 have no approved version, so the latest delivered is used."
    )
    assert unapproved_note(()) == ""


def test_order_and_trims_are_followed():
    plan = plan_cut(CutAsk((CutPiece(2), CutPiece(1, 0.0, 2.0))), SHOTS)
    assert not isinstance(plan, Refusal)
    assert [(p.shot, p.source_in, p.source_out) for p in plan.pieces] == [(2, 0.0, 4.0), (1, 0.0, 2.0)]
    assert plan.unapproved == (2,)


@pytest.mark.parametrize(
    ("ask", "shots", "says"),
    [
        (CutAsk((CutPiece(7),)), SHOTS, "no S7; its shots are S1–S3"),
        (CutAsk((CutPiece(2, 1.0, 9.0),)), SHOTS, "S2 v1 runs 4 s, so `S2[1-9]` is outside it"),
        (CutAsk((CutPiece(3, 3.5),)), SHOTS, "outside it; trim within 0–3"),
        (
            CutAsk(()),
            {**SHOTS, 4: []},
            "S4 has no delivered version yet; wait for it to land or leave it out: `cut S1 S2 S3`",
        ),
        (CutAsk((), 2.0), SHOTS, "A 2 s fade needs pieces of at least 4 s; S3 v1 runs 3 s"),
        (CutAsk(()), {n: [v(n, 1, 20.0)] for n in range(1, 32)}, "would run 10:20; a cut is at most 10:00"),
        (CutAsk(()), {}, "no shots to cut"),
    ],
)
def test_checks_before_any_work_say_what_to_do(ask, shots, says):
    refused = plan_cut(ask, shots)
    assert isinstance(refused, Refusal), refused
    assert says in refused.message


def test_the_caption_says_the_cut_its_length_and_its_shots():
    plan = plan_cut(CutAsk(()), SHOTS)
    assert not isinstance(plan, Refusal)
    assert cut_caption(1, 14.2, plan.pieces) == "the cut v1 · 0:14 · S1 v2 · S2 v1 · S3 v1"
    assert clock(3725) == "1:02:05"


def test_a_cut_at_an_aspect_names_the_shots_without_a_version_there():
    at_916 = {1: [v(14, 4)], 2: [], 3: []}
    refused = without_aspect(CutAsk((), 0.0, "9:16"), at_916, "9:16")
    assert isinstance(refused, Refusal)
    assert refused.message.startswith("S2, S3 have no 9:16 version yet") and "`for 9:16`" in refused.message
    assert without_aspect(CutAsk((CutPiece(1),), 0.0, "9:16"), at_916, "9:16") is None  # only S1 asked
