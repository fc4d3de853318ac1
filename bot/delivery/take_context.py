"""One take being carried: its job and id, and where its changes go (the database, then its card)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.cards.publisher import CardPublisher
from bot.outcomes import TakeEnded
from storage import jobs as jobs_db
from storage.db import Store
from storage.rows import JobRow


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

    async def take(self) -> dict | None:
        """The take as stored now."""
        return await self.store.run(jobs_db.get_take, self.take_id)

    def touch(self) -> None:
        """The card shows the take's latest state (throttled by the publisher)."""
        self.cards.touch(self.job["shot_id"])
