"""A cut in the screening room (pure): each version's pieces as markers on its own timeline (a
click seeks the players there) and the notes on each source version placed where it plays."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from html import escape
from typing import Any

from bot.request.timecode import format_timecode
from bot.screening.room import CutPiece, CutSequence, Note, Room, SequenceNote
from storage.rows import JobRow, TakeRow


def source_takes(jobs: Sequence[JobRow]) -> list[int]:
    """Every version the shot's cuts were made from (empty for any other shot)."""
    return list(
        dict.fromkeys(p["take_id"] for j in jobs for p in (j["request"].get("cut") or {}).get("pieces", ()))
    )


def with_sequences(
    room: Room, jobs: Sequence[JobRow], takes: Sequence[TakeRow], notes: Sequence[Mapping[str, Any]]
) -> Room:
    """The room with each cut version's sequence: its pieces where the assembly placed them, and
    the notes on their source versions at their place in the cut (a note's timecode within the
    piece's trim; one without a timecode, or outside the trim, at the piece's start)."""
    cuts = {j["id"]: j["request"]["cut"] for j in jobs if j["kind"] == "cut" and j["request"].get("cut")}
    if not cuts:
        return room
    by_take: dict[int, list[Mapping[str, Any]]] = {}
    for n in notes:
        by_take.setdefault(n["take_id"], []).append(n)
    job_of = {t["id"]: t["job_id"] for t in takes}
    versions = []
    for v in room.versions:
        plan = cuts.get(job_of.get(v.take_id, -1))
        if plan is None or not all("record_in" in p for p in plan.get("pieces", ())):
            versions.append(v)
            continue
        pieces, placed = [], []
        for p in plan["pieces"]:
            label = f"S{p['shot']} v{p['version']}"
            length = max(0.0, p["out"] - p["in"])
            pieces.append(CutPiece(label, p["record_in"], length))
            for n in by_take.get(p["take_id"], ()):
                tc = n.get("timecode")
                inside = tc is not None and p["in"] <= tc <= p["out"]
                at = p["record_in"] + (tc - p["in"] if inside else 0.0)
                placed.append(
                    SequenceNote(at, label, Note(n["user_id"], n["text"] or "", n["created_at"] or "", tc))
                )
        sequence = CutSequence(tuple(pieces), tuple(sorted(placed, key=lambda s: s.at)))
        versions.append(replace(v, sequence=sequence))
    return replace(room, versions=tuple(versions))


def render_sequence(sequence: CutSequence | None, number: int, person, text) -> str:
    """Under a cut's player: a marker per piece across its timeline and per placed note, each a
    button that seeks there (the room's script), then the notes listed in sequence order.
    `person` and `text` render a user id and a note's Slack text as safe HTML."""
    if sequence is None or not sequence.pieces:
        return ""
    total = sequence.seconds or 1.0
    pieces = "".join(
        f'<button type="button" class="piece" data-seek="{p.record_in:g}" '
        f'data-left="{p.record_in / total * 100:.2f}" data-width="{p.seconds / total * 100:.2f}" '
        f'title="{escape(p.label)} at {format_timecode(p.record_in)}">{escape(p.label)}</button>'
        for p in sequence.pieces
    )
    marks = "".join(
        f'<button type="button" class="mark" data-seek="{s.at:g}" data-left="{min(100.0, s.at / total * 100):.2f}" '
        f'title="{escape(s.label)} {format_timecode(s.at)}">✎</button>'
        for s in sequence.notes
    )
    listed = "".join(
        f'<li><button type="button" class="seek" data-seek="{s.at:g}">{format_timecode(s.at)}</button> '
        f"<b>{escape(s.label)}</b> {person(s.note.user_id)} {text(s.note.text)}</li>"
        for s in sequence.notes
    )
    notes = (
        f'<section class="notes" aria-label="Notes on the shots of v{number}"><h3>Notes on its shots</h3>'
        f"<ul>{listed}</ul></section>"
        if listed
        else ""
    )
    return (
        f'<div class="sequence" aria-label="The shots of v{number}">{pieces}'
        f'<div class="marks">{marks}</div></div>{notes}'
    )
