"""Which backend serves DAILIES_INTENT_MODEL: the one whose key is set; with both, a vendor-prefixed
id (`google/…`) is the AI/ML API's and a bare id the Gemini API's."""

from __future__ import annotations

import httpx

from bot.providers.chat import chat_client

AIML = ("aiml-key", "https://api.aimlapi.com")
GEMINI = ("gemini-key", "https://generativelanguage.googleapis.com")


async def test_the_backend_follows_the_key_and_the_id():
    async with httpx.AsyncClient() as http:
        assert chat_client(http, "") is None
        assert chat_client(http, "gemini-3.5-flash-lite") is None, "no key, no model"
        assert chat_client(http, "gemini-3.5-flash-lite", aimlapi=AIML).backend == "aimlapi"
        assert chat_client(http, "google/gemini-3.5-flash-lite", gemini=GEMINI).backend == "gemini"
        both = {"aimlapi": AIML, "gemini": GEMINI}
        assert chat_client(http, "google/gemini-3.5-flash-lite", **both).backend == "aimlapi"
        assert chat_client(http, "gemini-3.5-flash-lite", **both).backend == "gemini"
