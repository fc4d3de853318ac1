"""A workspace removing Dailies (`app_uninstalled`, or its bot token revoked): its installation is
forgotten, its unfinished jobs stop where they are, and its data is purged after the retention. No card is edited and nothing is posted,
since its token no longer works; provider tasks already submitted run out on their own and are
never charged to the workspace (only delivered takes count as spend)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

from bot.install.retention import Retention
from storage import installations
from storage.db import Store

log = logging.getLogger(__name__)

STOPPED = "Dailies was removed from this workspace"


class Uninstalls:
    def __init__(
        self,
        store: Store,
        installation_store: AsyncInstallationStore,
        stop_job: Callable[[int], Awaitable[None]],
        retention: Retention,
    ) -> None:
        self.store = store
        self.retention = retention
        self.installation_store = installation_store
        self.stop_job = stop_job  # stops the job's takes running in this process

    async def removed(self, team_id: str, enterprise_id: str | None = None) -> list[int]:
        """Forget the workspace and stop its jobs; the ids of the jobs stopped."""
        if not team_id:
            return []
        await self.installation_store.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)
        stopped = await self.store.run(installations.stop_team_jobs, team_id, STOPPED)
        for job_id in stopped:
            await self.stop_job(job_id)
        if stopped:
            log.info("workspace %s removed Dailies: stopped jobs %s", team_id, stopped)
        await self.retention.departed(team_id)
        return stopped

    async def revoked(self, team_id: str, enterprise_id: str | None, tokens: dict) -> list[int]:
        """`tokens_revoked`: the bot's token going means the workspace is gone for Dailies; a
        person's user token going changes nothing (Dailies keeps none)."""
        if tokens.get("bot"):
            return await self.removed(team_id, enterprise_id)
        return []
