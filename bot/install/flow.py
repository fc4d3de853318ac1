"""Bolt's OAuth flow for distribution mode: the install link (a redirect to Slack's authorize page
with the manifest's bot scopes and a single-use state) and the callback (the code exchanged with
`oauth.v2.access`, the installation stored in Dailies' database, a page saying what happened)."""

from __future__ import annotations

import logging
from urllib.parse import urljoin

from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncFailureArgs, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Config
from bot.install.pages import failure_page, success_page
from bot.install.sealing import Sealer
from bot.install.stores import DbInstallationStore, DbOAuthStateStore, OrgWideInstall
from bot.install.tokens import WorkspaceAuthorize, WorkspaceTokens
from storage.db import Store

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600  # an install link works once, for ten minutes

log = logging.getLogger(__name__)


def authorize_url(api_url: str) -> str:
    """Slack's authorize page on the host that serves the Web API (`https://slack.com/api/` ->
    `https://slack.com/oauth/v2/authorize`), so a stand-in of Slack serves both."""
    return urljoin(api_url, "../oauth/v2/authorize")


def _pages(settings_holder: list[AsyncOAuthSettings]) -> AsyncCallbackOptions:
    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        return _html(200, success_page(args.installation.team_name or ""), settings_holder[0])

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        reason = "org_wide" if isinstance(args.error, OrgWideInstall) else args.reason
        log.warning("an install failed: %s", reason)
        return _html(args.suggested_status_code, failure_page(reason), settings_holder[0])

    return AsyncCallbackOptions(success=success, failure=failure)


def _html(status: int, body: str, settings: AsyncOAuthSettings) -> BoltResponse:
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Set-Cookie": [settings.state_utils.build_set_cookie_for_deletion()],
        "Cache-Control": "no-store",
    }
    return BoltResponse(status=status, body=body, headers=headers)


def oauth_flow(
    config: Config, store: DbInstallationStore, states: DbOAuthStateStore, scopes: tuple[str, ...]
) -> AsyncOAuthFlow:
    holder: list[AsyncOAuthSettings] = []
    redirect_uri = f"{config.public_base_url}{REDIRECT_PATH}" if config.public_base_url else None
    settings = AsyncOAuthSettings(
        client_id=config.slack_client_id,
        client_secret=config.slack_client_secret,
        scopes=list(scopes),
        user_scopes=[],
        redirect_uri=redirect_uri,
        install_path=INSTALL_PATH,
        install_page_rendering_enabled=False,  # straight to Slack's page
        redirect_uri_path=REDIRECT_PATH,
        callback_options=_pages(holder),
        authorization_url=authorize_url(config.slack_api_url),
        installation_store=store,
        installation_store_bot_only=True,
        state_store=states,
        state_expiration_seconds=STATE_SECONDS,
        logger=log,
    )
    holder.append(settings)
    client = AsyncWebClient(base_url=config.slack_api_url, logger=log)
    return AsyncOAuthFlow(client=client, logger=log, settings=settings)


Installs = tuple[AsyncOAuthFlow, WorkspaceTokens, WorkspaceAuthorize]


def installs(config: Config, store: Store, scopes: tuple[str, ...]) -> Installs:
    """The OAuth flow (asking for the bot `scopes`), the token source and Bolt's authorization,
    over one database, with every stored token sealed under DAILIES_SECRET_KEY."""
    sealer = Sealer.from_setting(config.secret_key)
    tokens = WorkspaceTokens(
        store,
        sealer,
        client_id=config.slack_client_id,
        client_secret=config.slack_client_secret,
        api_url=config.slack_api_url,
        refresh_margin_seconds=config.token_refresh_margin_seconds,
    )
    installations = DbInstallationStore(store, sealer, on_change=tokens.forget)
    states = DbOAuthStateStore(store, expiration_seconds=STATE_SECONDS)
    return oauth_flow(config, installations, states, scopes), tokens, WorkspaceAuthorize(tokens)
