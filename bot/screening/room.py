"""What the screening room shows (pure): a shot's versions with their review state, judged by the
same rules as the job card."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.request.review import may_press, may_review, verdict
from storage.rows import JobRow, ShotRow, TakeRow
from storage.states import TakeState


@dataclass(frozen=True)
class Decision:
    user_id: str
    decision: str  # approve | reject
    at: str  # ISO time


@dataclass(frozen=True)
class Note:
    """A review note from the thread: what a person said about this version, and when in it."""

    user_id: str
    text: str
    at: str  # ISO time it was written
    timecode: float | None = None  # seconds into the version it points at


@dataclass(frozen=True)
class CutPiece:
    """A shot's version in a cut, where it sits in the sequence."""

    label: str  # "S2 v1"
    record_in: float  # seconds into the cut
    seconds: float


@dataclass(frozen=True)
class SequenceNote:
    """A review note on a cut's source version, at its place in the sequence."""

    at: float  # seconds into the cut
    label: str  # the piece it was written on
    note: Note


@dataclass(frozen=True)
class CutSequence:
    """A cut's pieces in record order, and its sources' notes placed in it."""

    pieces: tuple[CutPiece, ...]
    notes: tuple[SequenceNote, ...] = ()

    @property
    def seconds(self) -> float:
        return max((p.record_in + p.seconds for p in self.pieces), default=0.0)


@dataclass(frozen=True)
class Version:
    take_id: int
    number: int
    kind: str  # generate | edit | again | extend | final | avatar
    model: str
    seconds: float | None
    cost: float | None  # None: not recorded (shown as $0.00)
    asked_by: str
    prompt: str
    state: str  # the take's state
    verdict: str  # approved | rejected | pending
    decisions: tuple[Decision, ...]
    parent: int | None = None  # the version an edit or extension was made from
    error: str = ""
    current: bool = False
    viewer_decides: bool = False  # the pass's user may approve or reject this version
    viewer_presses: bool = False  # ... and ask for another take or the final render of it
    notes: tuple[Note, ...] = ()  # the thread's review notes on this version, oldest first
    aspect: str = ""  # as asked ("" when the request named none)
    sequence: CutSequence | None = None  # a cut's pieces and its sources' notes (bot.screening.cut_room)

    @property
    def delivered(self) -> bool:
        return self.state == TakeState.DELIVERED

    @property
    def final(self) -> bool:
        return self.kind == "final"


@dataclass(frozen=True)
class Room:
    shot_id: int
    title: str
    channel_id: str
    versions: tuple[Version, ...]
    approvers: tuple[str, ...]
    rule: str
    viewer: str = ""  # the Slack user the pass was issued to ("" for a watch-only pass)
    on_board: bool = False  # a campaign's shot (or its cut): its buttons are on the board, not a card


def build_room(
    shot: ShotRow,
    jobs: list[JobRow],
    takes: Sequence[TakeRow],
    decisions: list[dict],
    approvers: tuple[str, ...],
    rule: str,
    viewer: str = "",
    notes: Sequence[dict] = (),  # storage.review_notes rows of the shot
) -> Room:
    by_id = {j["id"]: j for j in jobs}
    delivered = [t for t in takes if t["state"] == TakeState.DELIVERED]
    current = delivered[-1]["id"] if delivered else None
    versions = []
    for take in takes:
        job = by_id[take["job_id"]]
        rows = [
            d
            for d in decisions
            if d["take_id"] == take["id"]
            and d["decision"] != "withdrawn"
            and may_review(d["user_id"], approvers, job["user_id"])
        ]
        decided = {d["user_id"]: d["decision"] for d in rows}
        request = job["request"]
        versions.append(
            Version(
                take_id=take["id"],
                number=take["version"],
                kind=job["kind"],
                model=job["model"],
                seconds=take.get("seconds") or request.get("seconds"),
                cost=take["cost_usd"] if take["state"] == TakeState.DELIVERED else 0.0,
                asked_by=job["user_id"],
                prompt=request.get("instruction") or request.get("prompt") or request.get("script") or "",
                state=take["state"],
                verdict=verdict(decided, approvers, rule, job["user_id"]),
                decisions=tuple(Decision(d["user_id"], d["decision"], d["at"]) for d in rows),
                parent=request.get("parent_version"),
                error=take.get("error") or "",
                current=take["id"] == current,
                viewer_decides=bool(viewer) and may_review(viewer, approvers, job["user_id"]),
                viewer_presses=bool(viewer) and may_press(viewer, approvers, job["user_id"]),
                notes=tuple(
                    Note(n["user_id"], n["text"] or "", n["created_at"] or "", n["timecode"])
                    for n in notes
                    if n["take_id"] == take["id"]
                ),
                aspect=request.get("aspect") or "",
            )
        )
    return Room(
        shot_id=shot["id"],
        title=shot.get("title") or (jobs[0]["request"].get("prompt", "") if jobs else ""),
        channel_id=shot["channel_id"],
        versions=tuple(versions),
        approvers=approvers,
        rule=rule,
        viewer=viewer,
        on_board=bool(shot.get("campaign_id")),
    )
