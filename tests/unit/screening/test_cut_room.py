"""A cut in the screening room (pure): a marker per shot on its timeline that seeks there, and each
source version's notes placed where that version plays in the sequence."""

from __future__ import annotations

import re

from bot.screening.cut_room import source_takes, with_sequences
from bot.screening.page import render_page
from bot.screening.room import build_room

SHOT = {"id": 9, "title": "The cut", "channel_id": "C1", "team_id": "T1"}
PIECES = [
    {"shot": 2, "take_id": 21, "version": 1, "in": 0.0, "out": 4.0, "record_in": 0.0},
    {"shot": 1, "take_id": 12, "version": 2, "in": 1.0, "out": 3.0, "record_in": 4.0},
]
JOBS = [
    {"id": 5, "kind": "cut", "model": "preview", "user_id": "U1",
     "request": {"prompt": "the cut: S2 v1 · S1 v2", "cut": {"pieces": PIECES, "fade": 0.0}}},
]  # fmt: skip
TAKES = [
    {"id": 50, "job_id": 5, "version": 1, "state": "delivered", "seconds": 6.0, "cost_usd": 0.0,
     "error": None, "approved_at": None},
]  # fmt: skip
NOTES = [  # on the source versions: S1 v2 at 2 s (1 s into its trim), S2 v1 without a timecode
    {"take_id": 12, "user_id": "U2", "text": "too dark at 0:02", "created_at": "2026-12-06T09:00:00", "timecode": 2.0},
    {"take_id": 21, "user_id": "U3", "text": "love this one", "created_at": "2026-12-06T09:01:00", "timecode": None},
    {"take_id": 12, "user_id": "U2", "text": "cut before 0:05", "created_at": "2026-12-06T09:02:00", "timecode": 5.0},
]  # fmt: skip


def test_a_cuts_page_marks_each_shot_and_places_its_shots_notes():
    assert source_takes(JOBS) == [21, 12]
    room = with_sequences(build_room(SHOT, JOBS, TAKES, [], (), "any"), JOBS, TAKES, NOTES)
    sequence = room.versions[0].sequence
    assert [(p.label, p.record_in, p.seconds) for p in sequence.pieces] == [
        ("S2 v1", 0.0, 4.0),
        ("S1 v2", 4.0, 2.0),
    ]
    # S2's note at its piece's start; S1's 0:02 is 1 s into its trim, so 5 s into the cut; 0:05 is
    # past the trim's out point, so it sits at the piece's start
    assert [(n.at, n.label, n.note.text) for n in sequence.notes] == [
        (0.0, "S2 v1", "love this one"),
        (4.0, "S1 v2", "cut before 0:05"),
        (5.0, "S1 v2", "too dark at 0:02"),
    ]
    html = render_page(room, "T", once="n")
    pieces = re.findall(
        r'class="piece" data-seek="([\d.]+)" data-left="([\d.]+)" data-width="([\d.]+)"', html
    )
    assert pieces == [("0", "0.00", "66.67"), ("4", "66.67", "33.33")]
    assert " style=" not in html  # the page's policy (style-src 'self') would drop it: room.js places them
    assert 'data-seek="5">0:05</button> <b>S1 v2</b> @U2 too dark at 0:02' in html
    assert "the cut" in html


def test_a_shot_that_is_no_cut_is_left_as_it_is():
    jobs = [{**JOBS[0], "kind": "generate", "request": {"prompt": "a fox"}}]
    room = build_room(SHOT, jobs, TAKES, [], (), "any")
    assert source_takes(jobs) == [] and with_sequences(room, jobs, TAKES, NOTES) == room
    assert 'class="piece"' not in render_page(room, "T", once="n")
