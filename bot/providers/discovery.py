"""What a backend's model list and its "model gone" answers say about each provider id, and from
that a model's state on the backend: available (with the id to send), unavailable since when, or
unknown (no list). Pure: the sightings come from the database (`storage.model_sightings`)."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

# a backend's answer that a model is gone holds this long; then the list (or, without a list, the
# next request) decides again, so a model a provider brings back is not refused for ever
GONE_HOLD = timedelta(hours=24)


@dataclass(frozen=True)
class Sighting:
    """One provider id at one backend, as its list and its answers showed it (ISO UTC times)."""

    provider_id: str
    last_seen: str | None = None  # the last list read that had it
    missing_since: str | None = None  # the first list read without it since it was last seen
    gone_at: str | None = None  # when the backend answered that it is gone


class State(enum.StrEnum):
    AVAILABLE = "available"  # the backend's list has one of the model's ids
    UNAVAILABLE = "unavailable"  # the list has none of them, or the backend said it is gone
    UNKNOWN = "unknown"  # the backend publishes no list (or it was never read): the answer decides


@dataclass(frozen=True)
class ModelState:
    state: State
    provider_id: str | None = None  # the id to send (available, unknown)
    since: str | None = None  # unavailable since
    last_seen: str | None = None  # when the backend's list last had one of its ids

    @property
    def usable(self) -> bool:
        return self.state is not State.UNAVAILABLE

    def describe(self) -> str:
        """How `dailies models` and the refusals say it: `available (veo-3.1-generate-001)`."""
        if self.state is State.AVAILABLE:
            return f"available ({self.provider_id})"
        if self.state is State.UNKNOWN:
            return "unknown (no model list)"
        since = f" since {_short(self.since)}" if self.since else ""
        seen = f", last seen {_short(self.last_seen)}" if self.last_seen else ", never listed"
        return f"unavailable{since}{seen}"


@dataclass(frozen=True)
class BackendModels:
    """Everything known about one backend's models: when its list was last read (None: never, or
    it has none) and a sighting per provider id the catalogue names for it."""

    read_at: str | None = None
    sightings: Mapping[str, Sighting] = field(default_factory=lambda: MappingProxyType({}))

    def state(self, candidates: Sequence[str], now: datetime | None = None) -> ModelState:
        """The state of a model whose provider ids here are `candidates`, most preferred first:
        the first one listed at the last read (and not answered gone) is the one sent."""
        if not candidates:
            return ModelState(State.UNKNOWN)
        now = now or datetime.now(UTC)
        seen = [s for c in candidates if (s := self.sightings.get(c)) is not None]
        last_seen = max((s.last_seen for s in seen if s.last_seen), default=None)
        gone = {s.provider_id: s.gone_at for s in seen if s.gone_at and _recent(s.gone_at, now)}
        if self.read_at is None:
            alive = [c for c in candidates if c not in gone]
            if alive:
                return ModelState(State.UNKNOWN, provider_id=alive[0], last_seen=last_seen)
            return ModelState(State.UNAVAILABLE, since=max(gone.values()), last_seen=last_seen)
        for candidate in candidates:
            s = self.sightings.get(candidate)
            if s and s.last_seen and s.missing_since is None and candidate not in gone:
                return ModelState(State.AVAILABLE, provider_id=candidate, last_seen=last_seen)
        # since when: the latest of the ids' ends, each the earlier of "left the list" and "gone"
        ends = [min(t for t in (s.missing_since, gone.get(s.provider_id)) if t) for s in seen
                if s.missing_since or s.provider_id in gone]  # fmt: skip
        return ModelState(State.UNAVAILABLE, since=max(ends, default=self.read_at), last_seen=last_seen)


def _recent(at: str, now: datetime) -> bool:
    try:
        return now - datetime.fromisoformat(at) < GONE_HOLD
    except ValueError:
        return True


def _short(at: str) -> str:
    """`2026-12-06 07:42 UTC` from a stored ISO time."""
    try:
        return datetime.fromisoformat(at).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return at
