"""One take being carried: its job and id, and where its changes go (the database, then its card)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.cards.publisher import CardPublisher
from bot.outcomes import TakeEnded
from storage import jobs as jobs_db
from storage.db import Store
from storage.rows import JobRow, ShotRow, TakeRow


@dataclass(frozen=True)
class TakeContext:
    job: JobRow
    take_id: int
    store: Store
    cards: CardPublisher
    holder: str | None = None  # the replica carrying it: a take another replica took over stops here

    async def update(self, state: str | None = None, note: str = "", **fields) -> None:
        """Store a change and refresh the card; raises TakeEnded when the take already ended
        (cancelled meanwhile, say), so the step carrying it stops."""
        applied = await self.store.run(
            jobs_db.update_take, self.take_id, state, note, holder=self.holder, **fields
        )
        self.touch()
        if not applied:
            raise TakeEnded(self.take_id)

    async def take(self) -> TakeRow | None:
        """The take as stored now."""
        return await self.store.run(jobs_db.get_take, self.take_id)

    async def take_now(self) -> TakeRow:
        """The take as stored now, when it must be there (takes are never deleted)."""
        take = await self.take()
        if take is None:
            raise LookupError(f"no take {self.take_id}")
        return take

    async def shot(self) -> ShotRow:
        """The take's shot as stored now (shots are never deleted)."""
        shot = await self.store.run(jobs_db.get_shot, self.job["shot_id"])
        if shot is None:
            raise LookupError(f"no shot {self.job['shot_id']}")
        return shot

    def touch(self) -> None:
        """The card shows the take's latest state (throttled by the publisher)."""
        self.cards.touch(self.job["shot_id"])
