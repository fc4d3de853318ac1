"""Which card edit goes next (pure): each card with news has one pending edit, coalescing every
change since its last edit, ranked by what changed (a final state before a state change before a
progress tick) and due no sooner than `interval` after the card's last edit."""

from __future__ import annotations

from dataclasses import dataclass

from bot.cards.blocks import RUNNING, STATE_LINE, CardView
from bot.slack.budget import Priority
from storage.states import JobState

FINAL_STATES = frozenset(STATE_LINE) - set(RUNNING) - {JobState.AWAITING_APPROVAL}
# a progress tick that waited this long (intervals, and at least the seconds) is dropped: the next
# tick, or the next state, brings fresher news
STALE_PROGRESS, STALE_PROGRESS_SECONDS = 10, 30.0


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


@dataclass
class Pending:
    shot_id: int
    priority: Priority
    since: float  # when the change that gave it this rank arrived (first come, first served)


class CardQueue:
    """Cards with an unsent change; times are the caller's monotonic clock."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.pending: dict[int, Pending] = {}
        self.last_sent: dict[int, float] = {}
        self.in_flight: set[int] = set()

    def add(self, shot_id: int, priority: Priority, now: float) -> None:
        """A change to send; merged into the card's pending edit, which keeps the more urgent rank
        (and queues at that rank from when it got it: a final state waits behind older finals only)."""
        entry = self.pending.get(shot_id)
        if entry is None:
            self.pending[shot_id] = Pending(shot_id, priority, now)
        elif priority < entry.priority:
            entry.priority, entry.since = priority, now

    def due_at(self, shot_id: int) -> float:
        return self.last_sent.get(shot_id, float("-inf")) + self.interval

    def best(self, now: float) -> Pending | None:
        """The most urgent due edit (oldest first within a rank), or None."""
        due = [
            p
            for p in self.pending.values()
            if p.shot_id not in self.in_flight and self.due_at(p.shot_id) <= now
        ]
        return min(due, key=lambda p: (p.priority, p.since), default=None)

    def next_due(self) -> float | None:
        """When the next pending edit becomes due (None when nothing is waiting)."""
        times = [self.due_at(p.shot_id) for p in self.pending.values() if p.shot_id not in self.in_flight]
        return min(times, default=None)

    def drop_stale_progress(self, now: float) -> list[int]:
        """Progress ticks that waited too long while the budget was short: dropped, not sent late."""
        stale = [
            p.shot_id
            for p in self.pending.values()
            if p.priority == Priority.PROGRESS
            and p.shot_id not in self.in_flight
            and now - p.since > max(STALE_PROGRESS * self.interval, STALE_PROGRESS_SECONDS)
        ]
        for shot_id in stale:
            del self.pending[shot_id]
        return stale

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
