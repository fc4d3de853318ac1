"""Each workspace's bot token, as the Slack clients and Bolt's authorization need it: read from the
installations table, kept for a short while (Bolt would otherwise ask `auth.test` on every
request), and refreshed before it expires when token rotation is on, by requests and by the
background alike. Slack's refresh tokens work once, so one refresh per workspace runs at a time:
an asyncio lock per team within a replica, and a claim on the workspace's row across replicas."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.install.sealing import TOKEN_COLUMNS, Sealer
from bot.install.stores import bot_of
from storage import installations
from storage.db import Store

log = logging.getLogger(__name__)

REFRESH_CLAIM_SECONDS = 30.0  # a replica refreshing a token holds the claim this long at most


@dataclass(frozen=True)
class Grant:
    """What an installation lets Dailies do in a workspace, as of `read_at`."""

    team_id: str
    enterprise_id: str | None
    token: str
    bot_id: str
    bot_user_id: str
    scopes: tuple[str, ...]
    expires_at: float | None
    read_at: float


class WorkspaceTokens:
    """`await tokens(team_id)` is the workspace's usable bot token, or None if it has none."""

    def __init__(
        self,
        store: Store,
        sealer: Sealer,
        *,
        client_id: str,
        client_secret: str,
        api_url: str,
        refresh_margin_seconds: float = 2 * 3600.0,
        cache_seconds: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.sealer = sealer
        self.margin = refresh_margin_seconds
        self.cache_seconds = cache_seconds
        self.clock = clock
        self.rotator = AsyncTokenRotator(
            client_id=client_id, client_secret=client_secret, client=AsyncWebClient(base_url=api_url)
        )
        self._cache: dict[str, Grant] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.refreshes = 0  # tokens this process refreshed (doctor and tests read it)

    async def __call__(self, team_id: str) -> str | None:
        grant = await self.grant(team_id)
        return grant.token if grant else None

    def forget(self, team_id: str) -> None:
        """The installation changed (installed again, refreshed elsewhere, removed): read it anew."""
        self._cache.pop(team_id, None)

    async def grant(self, team_id: str) -> Grant | None:
        if not team_id:
            return None
        now = self.clock()
        cached = self._cache.get(team_id)
        if cached is not None and now - cached.read_at < self.cache_seconds and not self._due(cached, now):
            return cached
        row = await self._stored(team_id)
        if row is None:
            self._cache.pop(team_id, None)
            return None
        stored = self._grant(row, now)
        grant: Grant | None = stored
        if self._due(stored, now):
            grant = await self._refresh(team_id) or (stored if not self._expired(stored, now) else None)
        if grant is not None:
            self._cache[team_id] = grant
        return grant

    async def seal_stored(self) -> int:
        """Seal every token stored in plaintext (a database from before sealing) or under an older
        key; how many workspaces changed. A row is replaced only if it still holds what was read,
        so a refresh on another replica meanwhile is never overwritten."""
        changed = 0
        for row in await self.store.run(installations.token_rows):
            if not any(self.sealer.stale(row[c]) for c in TOKEN_COLUMNS):
                continue
            fresh = self.sealer.seal_row(self.sealer.open_row(row))
            if await self.store.run(installations.replace_tokens, row, fresh):
                changed += 1
        if changed:
            log.info(
                "sealed the stored tokens of %d workspace(s) under DAILIES_SECRET_KEY's first key", changed
            )
        return changed

    async def _stored(self, team_id: str) -> dict | None:
        """The workspace's installation with its tokens opened, or None."""
        row = await self.store.run(installations.find_installation, team_id)
        return self.sealer.open_row(row) if row else None

    async def refresh_due(self) -> int:
        """Refresh every token that expires within the margin (the background's round); how many."""
        done = 0
        for team_id in await self.store.run(installations.expiring, self.clock() + self.margin):
            if await self._refresh(team_id) is not None:
                done += 1
        return done

    async def keep_fresh(self, interval: float = 300.0) -> None:
        """Forever: refresh expiring tokens, so a job that ends hours after its command can still
        edit its card and upload its clip even if no request from that workspace came meanwhile."""
        while True:
            try:
                await self.refresh_due()
            except Exception:
                log.exception("refreshing Slack tokens failed; trying again in %.0f s", interval)
            await asyncio.sleep(interval)

    def _due(self, grant: Grant, now: float) -> bool:
        return grant.expires_at is not None and grant.expires_at <= now + self.margin

    @staticmethod
    def _expired(grant: Grant, now: float) -> bool:
        return grant.expires_at is not None and grant.expires_at <= now

    @staticmethod
    def _grant(row: dict, now: float) -> Grant:
        return Grant(
            team_id=row["team_id"],
            enterprise_id=row["enterprise_id"],
            token=row["bot_token"] or "",
            bot_id=row["bot_id"] or "",
            bot_user_id=row["bot_user_id"] or "",
            scopes=tuple(s for s in (row["bot_scopes"] or "").split(",") if s),
            expires_at=row["bot_token_expires_at"],
            read_at=now,
        )

    async def _refresh(self, team_id: str) -> Grant | None:
        """Refresh the team's token if it is still due once this replica holds the team's claim;
        the current grant (refreshed here or by whoever held the claim), or None if there is none."""
        lock = self._locks.setdefault(team_id, asyncio.Lock())
        async with lock:
            deadline = self.clock() + REFRESH_CLAIM_SECONDS
            while True:
                row = await self._stored(team_id)
                now = self.clock()
                if row is None:
                    return None
                grant = self._grant(row, now)
                if not self._due(grant, now) or not row["bot_refresh_token"]:
                    return grant  # refreshed meanwhile (here or on another replica), or not rotating
                if await self.store.run(
                    installations.claim_refresh, team_id, self.store.replica, now, REFRESH_CLAIM_SECONDS
                ):
                    break
                if now > deadline:
                    return None if self._expired(grant, now) else grant
                await asyncio.sleep(0.2)  # another replica is refreshing it: wait for its result
            return await self._rotate(row)

    async def _rotate(self, row: dict) -> Grant | None:
        team_id, holder = row["team_id"], self.store.replica
        try:
            # the rotator refreshes what expires within its margin: ours, which found this one due
            fresh = await self.rotator.perform_bot_token_rotation(
                bot=bot_of(row), minutes_before_expiration=int(self.margin // 60) + 1
            )
        except SlackTokenRotationError as exc:
            await self.store.run(installations.release_refresh, team_id, holder)
            log.warning("Slack refused to refresh the token of workspace %s (%s)", team_id, _error(exc))
            return None
        except BaseException:
            await self.store.run(installations.release_refresh, team_id, holder)
            raise
        if fresh is None:
            await self.store.run(installations.release_refresh, team_id, holder)
            return self._grant(row, self.clock())
        await self.store.run(
            installations.finish_refresh,
            team_id,
            holder,
            self.sealer.seal(fresh.bot_token),
            self.sealer.seal(fresh.bot_refresh_token),
            float(fresh.bot_token_expires_at or 0) or None,
        )
        self.refreshes += 1
        self.forget(team_id)
        log.info("refreshed the Slack token of workspace %s", team_id)
        stored = await self._stored(team_id)
        return self._grant(stored, self.clock()) if stored else None


def _error(exc: SlackTokenRotationError) -> str:
    api_error = getattr(exc, "api_error", None)
    response = getattr(api_error, "response", None)
    return str(response.get("error")) if response is not None else type(exc).__name__


class WorkspaceAuthorize(AsyncAuthorize):
    """Bolt's authorization from the installations table (with the token refreshed when due):
    no `auth.test` per request, since the install stored who the bot is. A workspace without an
    installation gets None, and Bolt answers it that the app is not installed there."""

    def __init__(self, tokens: WorkspaceTokens) -> None:
        self.tokens = tokens

    async def __call__(
        self,
        *,
        context,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        grant = await self.tokens.grant(team_id or "")
        if grant is None or not grant.token:
            return None
        return AuthorizeResult(
            enterprise_id=grant.enterprise_id,
            team_id=grant.team_id,
            bot_token=grant.token,
            bot_id=grant.bot_id,
            bot_user_id=grant.bot_user_id,
            bot_scopes=list(grant.scopes),
            user_id=user_id,
        )
