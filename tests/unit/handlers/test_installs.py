"""Distribution mode: a workspace removing Dailies, or revoking its tokens, is handed to uninstalls."""

from __future__ import annotations

from unittest.mock import AsyncMock

from handlers.installs import app_uninstalled, tokens_revoked
from tests.fakes.slack_requests import event_payload

from .conftest import bolt_request, run


async def test_an_uninstall_forgets_the_workspace():
    uninstalls = AsyncMock()
    request = bolt_request(
        event_payload({"type": "app_uninstalled", "event_ts": "1.2"}), uninstalls=uninstalls
    )
    await run(app_uninstalled, request)
    uninstalls.removed.assert_awaited_once_with("T0DAILIES", None)


async def test_revoked_tokens_are_handed_over():
    uninstalls = AsyncMock()
    tokens = {"oauth": ["U0ALICE"], "bot": ["UBOT"]}
    revoked = event_payload({"type": "tokens_revoked", "tokens": tokens, "event_ts": "1.2"})
    await run(tokens_revoked, bolt_request(revoked, uninstalls=uninstalls))
    uninstalls.revoked.assert_awaited_once_with("T0DAILIES", None, tokens)
