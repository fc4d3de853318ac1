"""Which card edit goes next (pure): each card with news has one pending edit, coalescing every
change since its last edit, ranked by what changed (a final state before a state change before a
progress tick) and due no sooner than `interval` after the card's last edit. While a final state
waits, the budget is its own: state changes wait behind it and progress ticks are dropped."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.cards.blocks import RUNNING, STATE_LINE, CardView
from bot.slack.budget import Priority
from storage.states import JobState, TakeState

FINAL_STATES = frozenset(STATE_LINE) - set(RUNNING) - {JobState.AWAITING_APPROVAL}
# a progress tick that waited this long (intervals, and at least the seconds) is dropped: the next
# tick, or the next state, brings fresher news
STALE_PROGRESS, STALE_PROGRESS_SECONDS = 10, 30.0
ON_ITS_WAY = (TakeState.DOWNLOADING, TakeState.UPLOADING)
ENDED = (TakeState.DELIVERED, TakeState.FAILED, TakeState.CANCELLED)
_SECONDS_COUNTER = re.compile(r"(?:(\d+)m )?\d+s elapsed")


def gist(rendered: str) -> str:
    """A rendered card as its reader takes it in: its seconds counters cut to whole minutes, so a
    card whose only change is the clock ticking has nothing new (a new minute is news)."""
    return _SECONDS_COUNTER.sub(lambda m: f"{m.group(1) or 0}m elapsed", rendered)


def nothing_new(priority: Priority, rendered: str, last_sent: str | None) -> bool:
    """A progress edit that would show what the card's last edit showed, but for its seconds."""
    return priority == Priority.PROGRESS and last_sent is not None and gist(rendered) == gist(last_sent)


def state_key(view: CardView) -> tuple:
    """What a card's reader would call its state: job and take states and review decisions, not
    progress percentages or elapsed times."""
    return (
        tuple((j["id"], j["state"]) for j in view.jobs),
        tuple((t["id"], t["state"]) for t in view.takes),
        tuple(sorted((d.get("user_id", ""), d.get("decision", "")) for d in view.decisions)),
    )


def edit_priority(view: CardView, last_sent: tuple | None) -> Priority:
    """How urgent the card's next edit is, against the state its last edit showed."""
    state = view.jobs[-1]["state"]
    if state in FINAL_STATES or state == JobState.AWAITING_APPROVAL:
        return Priority.URGENT
    if state_key(view) != last_sent:
        return Priority.STATE
    return Priority.PROGRESS


def on_its_way(view: CardView) -> bool:
    """Every version of the card's latest job has its clip and is on its way to the thread: the
    final state follows within moments, and an edit saying so would hold it up by an interval."""
    job = view.jobs[-1]
    live = [t["state"] for t in view.takes if t["job_id"] == job["id"]]
    return (
        job["state"] in RUNNING
        and any(state in ON_ITS_WAY for state in live)
        and all(state in ON_ITS_WAY or state in ENDED for state in live)
    )


@dataclass
class Pending:
    shot_id: int
    priority: Priority
    since: float  # when the change that gave it this rank arrived (first come, first served)
    not_before: float = float("-inf")  # a change of a clip on its way waits for the final this long


class CardQueue:
    """Cards with an unsent change; times are the caller's monotonic clock."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.pending: dict[int, Pending] = {}
        self.last_sent: dict[int, float] = {}
        self.in_flight: set[int] = set()

    def add(self, shot_id: int, priority: Priority, now: float, *, settling: bool = False) -> list[int]:
        """A change to send; merged into the card's pending edit, which keeps the more urgent rank
        (and queues at that rank from when it got it: a final state waits behind older finals only).
        A change `settling` (its clip on its way) waits an interval for the final that follows.
        A progress tick while a final waits is dropped, and a final drops the ticks queued before
        it; returns the cards whose progress edit was dropped."""
        entry = self.pending.get(shot_id)
        if entry is None:
            if priority == Priority.PROGRESS and self.finals_waiting:
                return [shot_id]
            self.pending[shot_id] = entry = Pending(shot_id, priority, now)
            if settling and priority != Priority.URGENT:
                entry.not_before = now + self.interval
        elif priority < entry.priority:
            entry.priority, entry.since = priority, now
            entry.not_before = (
                now + self.interval if settling and priority != Priority.URGENT else float("-inf")
            )
        if entry.priority == Priority.URGENT:
            return self._drop_progress(lambda p: True)
        return []

    @property
    def finals_waiting(self) -> bool:
        return any(p.priority == Priority.URGENT for p in self.pending.values())

    def due_at(self, shot_id: int) -> float:
        entry = self.pending.get(shot_id)
        waits = entry.not_before if entry is not None else float("-inf")
        return max(self.last_sent.get(shot_id, float("-inf")) + self.interval, waits)

    def _eligible(self) -> list[Pending]:
        """Edits that may go (when due): while a final state waits, only final states."""
        finals = self.finals_waiting
        return [
            p
            for p in self.pending.values()
            if p.shot_id not in self.in_flight and (p.priority == Priority.URGENT or not finals)
        ]

    def best(self, now: float) -> Pending | None:
        """The most urgent due edit (oldest first within a rank), or None."""
        due = [p for p in self._eligible() if self.due_at(p.shot_id) <= now]
        return min(due, key=lambda p: (p.priority, p.since), default=None)

    def next_due(self) -> float | None:
        """When the next pending edit becomes due (None when nothing is waiting)."""
        return min((self.due_at(p.shot_id) for p in self._eligible()), default=None)

    def drop_stale_progress(self, now: float) -> list[int]:
        """Progress ticks that waited too long while the budget was short: dropped, not sent late."""
        wait = max(STALE_PROGRESS * self.interval, STALE_PROGRESS_SECONDS)
        return self._drop_progress(lambda p: now - p.since > wait)

    def _drop_progress(self, which: Callable[[Pending], bool]) -> list[int]:
        dropped = [
            p.shot_id
            for p in self.pending.values()
            if p.priority == Priority.PROGRESS and p.shot_id not in self.in_flight and which(p)
        ]
        for shot_id in dropped:
            del self.pending[shot_id]
        return dropped

    def start(self, shot_id: int) -> Pending:
        self.in_flight.add(shot_id)
        return self.pending.pop(shot_id)

    def finished(self, shot_id: int, sent_at: float | None) -> None:
        self.in_flight.discard(shot_id)
        if sent_at is not None:
            self.last_sent[shot_id] = sent_at

    @property
    def idle(self) -> bool:
        return not self.pending and not self.in_flight
