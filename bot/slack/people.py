"""People's names for pages outside Slack (the screening room): `users.info`, remembered."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


class People:
    def __init__(self, client: AsyncWebClient, limit: int = 2000) -> None:
        self.client = client
        self.limit = limit
        self._names: dict[str, str] = {}

    async def names(self, user_ids: Iterable[str]) -> dict[str, str]:
        """user id -> display name; a user Slack will not describe keeps their id."""
        found = {}
        for user_id in dict.fromkeys(u for u in user_ids if u):
            if user_id not in self._names:
                self._names[user_id] = await self._ask(user_id)
            found[user_id] = self._names[user_id]
        if len(self._names) > self.limit:
            self._names.clear()
        return found

    async def _ask(self, user_id: str) -> str:
        try:
            user = (await self.client.users_info(user=user_id)).get("user") or {}
        except Exception as exc:  # an unknown user or Slack unreachable: the id is still meaningful
            log.info("users.info %s failed (%s)", user_id, type(exc).__name__)
            return user_id
        profile = user.get("profile") or {}
        return profile.get("display_name") or profile.get("real_name") or user.get("name") or user_id
