"""Bolt's installation store and OAuth state store over Dailies' own database (SQLite or
PostgreSQL), so that every replica sees every install and an install link's state works once.
Bolt's file defaults keep both on one machine's disk, which several replicas cannot share."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from datetime import datetime

from slack_bolt.error import BoltError
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.install.sealing import Sealer
from storage import installations
from storage.db import Store

log = logging.getLogger(__name__)


class OrgWideInstall(BoltError):
    """Dailies is installed workspace by workspace: an Enterprise Grid org-wide install is refused."""


def _seconds(value) -> float | None:
    if value is None:
        return None
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _row(source: Installation | Bot) -> dict:
    """The installations row for an Installation or a Bot (Bolt's two shapes of the same install)."""
    data = source._to_standard_value_dict()  # the SDK's own flattening: scopes joined, times as datetimes
    row = {c: data.get(c) for c in installations.COLUMNS}
    row["bot_token_expires_at"] = _seconds(data.get("bot_token_expires_at"))
    row["installed_at"] = _seconds(data.get("installed_at")) or time.time()
    return row


def installation_of(row: dict) -> Installation:
    return Installation(
        app_id=row["app_id"],
        enterprise_id=row["enterprise_id"],
        enterprise_name=row["enterprise_name"],
        team_id=row["team_id"],
        team_name=row["team_name"],
        bot_token=row["bot_token"],
        bot_id=row["bot_id"],
        bot_user_id=row["bot_user_id"],
        bot_scopes=row["bot_scopes"] or "",
        bot_refresh_token=row["bot_refresh_token"],
        bot_token_expires_at=int(row["bot_token_expires_at"]) if row["bot_token_expires_at"] else None,
        user_id=row["user_id"] or "",
        is_enterprise_install=bool(row["is_enterprise_install"]),
        token_type=row["token_type"],
        installed_at=row["installed_at"],
    )


def bot_of(row: dict) -> Bot:
    return installation_of(row).to_bot()


class DbInstallationStore(AsyncInstallationStore):
    """One installation per workspace (the latest install wins). Dailies asks only for bot scopes,
    so the installer's user token is neither requested nor kept. Tokens are stored sealed.
    `on_change(team_id)` is told of every save and delete, so a token cache can drop what it holds."""

    def __init__(
        self, store: Store, sealer: Sealer, *, on_change: Callable[[str], None] = lambda team_id: None
    ) -> None:
        self.store = store
        self.sealer = sealer
        self.on_change = on_change

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        if installation.is_enterprise_install or not installation.team_id:
            raise OrgWideInstall("org-wide installs are not supported")
        await self.store.run(installations.save_installation, self.sealer.seal_row(_row(installation)))
        self.on_change(installation.team_id)
        log.info("installed in workspace %s (%s)", installation.team_id, installation.team_name)

    async def async_save_bot(self, bot: Bot) -> None:
        if bot.is_enterprise_install or not bot.team_id:
            raise OrgWideInstall("org-wide installs are not supported")
        row = _row(bot)
        stored = await self.store.run(installations.find_installation, bot.team_id)
        if stored is not None:  # keep what a Bot does not carry (the installer)
            row = {**self.sealer.open_row(stored), **{k: v for k, v in row.items() if v is not None}}
        await self.store.run(installations.save_installation, self.sealer.seal_row(row))
        self.on_change(bot.team_id)

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        row = await self._find(enterprise_id, team_id, is_enterprise_install)
        return bot_of(row) if row else None

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        row = await self._find(enterprise_id, team_id, is_enterprise_install)
        if row is None or (user_id is not None and row["user_id"] != user_id):
            return None
        return installation_of(row)

    async def _find(self, enterprise_id: str | None, team_id: str | None, org: bool | None) -> dict | None:
        if org or not team_id:
            return None  # no org-wide installs are ever stored
        row = await self.store.run(installations.find_installation, team_id)
        if row is None or (enterprise_id and row["enterprise_id"] not in (None, enterprise_id)):
            return None
        return self.sealer.open_row(row)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        if user_id is not None:
            return  # user tokens are never kept: revoking one leaves the workspace's bot installed
        await self.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        if not team_id:
            return
        if await self.store.run(installations.delete_installation, team_id):
            log.info("workspace %s removed Dailies; its tokens are forgotten", team_id)
        self.on_change(team_id)


class DbOAuthStateStore(AsyncOAuthStateStore):
    """Install-link states in the database: each works once, within `expiration_seconds`, on
    whichever replica the browser comes back to."""

    def __init__(
        self, store: Store, *, expiration_seconds: int = 600, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.expiration_seconds = expiration_seconds
        self.clock = clock

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args, **kwargs) -> str:
        state = secrets.token_urlsafe(24)
        await self.store.run(installations.issue_state, state, self.clock() + self.expiration_seconds)
        return state

    async def async_consume(self, state: str) -> bool:
        if not state:
            return False
        return await self.store.run(installations.consume_state, state, self.clock())
