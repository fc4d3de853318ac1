"""A workspace's data leaves with it: when it removes Dailies its departure is recorded, and
`DAILIES_RETENTION_DAYS` later (at once for 0) everything it owned is deleted, rows and media files;
`dailies purge --team T…` does the same on demand. Installing again before then keeps it all."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

from storage import departures
from storage.db import Store

log = logging.getLogger(__name__)
SWEEP_SECONDS = 3600.0


class Retention:
    def __init__(
        self, store: Store, retention_days: float, media_dir: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.retention_seconds = retention_days * 86400
        self.media_dir = Path(media_dir).resolve()
        self.clock = clock

    async def departed(self, team_id: str) -> None:
        await self.store.run(departures.departed, team_id, self.clock())
        if self.retention_seconds <= 0:
            await self.purge(team_id)

    async def sweep(self) -> list[str]:
        """Purge every workspace whose retention has ended; their ids."""
        due = await self.store.run(departures.due, self.clock() - self.retention_seconds)
        for team_id in due:
            await self.purge(team_id)
        return due

    async def purge(self, team_id: str) -> dict[str, int]:
        """Delete everything the workspace owns now; rows deleted per table (files under "files")."""
        counts, files = await self.store.run(departures.purge, team_id)
        removed = 0
        for name in files:
            path = Path(name).resolve()
            if path.is_relative_to(self.media_dir) and path.is_file():
                path.unlink()
                removed += 1
        if removed:
            counts["files"] = removed
        log.info(
            "purged workspace %s: %s", team_id, ", ".join(f"{n} {t}" for t, n in counts.items()) or "nothing"
        )
        return counts

    async def keep_sweeping(self, interval: float = SWEEP_SECONDS) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("purging departed workspaces failed; trying again in %.0f s", interval)
            await asyncio.sleep(interval)
