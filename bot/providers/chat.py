"""A small chat client for structured JSON answers: the AI/ML API's OpenAI-compatible chat
completions or the Gemini API's generateContent, whichever key is set (DAILIES_INTENT_MODEL)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from bot.providers import errors
from bot.providers.http import error_for_status, request_json

AIML_PATH = "/v1/chat/completions"
GEMINI_PATH = "/v1beta/models/{model}:generateContent"
MAX_TOKENS = 200  # a plan is a few dozen tokens; a runaway answer is cut short, then fails its checks


@dataclass(frozen=True)
class ChatAnswer:
    """The model's text and what it cost: dollars when the backend says so, else its token counts."""

    text: str
    backend: str
    model: str
    usd: float | None
    tokens: int | None
    milliseconds: int


class ChatClient:
    """One chat model on one backend; `backend` is "aimlapi" or "gemini"."""

    def __init__(
        self, client: httpx.AsyncClient, backend: str, model: str, base_url: str, api_key: str
    ) -> None:
        self._client = client
        self.backend = backend
        self.model = model
        self._base = base_url.rstrip("/")
        self._key = api_key

    async def json_answer(
        self, system: str, user: str, schema: dict, *, name: str, timeout: float
    ) -> ChatAnswer:
        """The model's answer to `user` as JSON text in `schema`. Raises ProviderError."""
        started = time.monotonic()
        if self.backend == "gemini":
            text, usd, tokens = await self._gemini(system, user, schema, timeout)
        else:
            text, usd, tokens = await self._aiml(system, user, schema, name, timeout)
        took = int((time.monotonic() - started) * 1000)
        return ChatAnswer(text, self.backend, self.model, usd, tokens, took)

    async def _aiml(
        self, system: str, user: str, schema: dict, name: str, timeout: float
    ) -> tuple[str, float | None, int | None]:
        body = {
            "model": self.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": name, "strict": True, "schema": schema},
            },
            "max_completion_tokens": MAX_TOKENS,
        }
        answer = await self._post(
            self._base + AIML_PATH, {"Authorization": f"Bearer {self._key}"}, body, timeout
        )
        try:
            message = answer["choices"][0]["message"]
        except (KeyError, IndexError, TypeError):
            raise errors.BadRequest("AI/ML API: the chat answer has no message.") from None
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            refusal = message.get("refusal") if isinstance(message, dict) else None
            raise errors.Refused(f"AI/ML API: the model gave no content ({refusal or 'empty'}).")
        spent = _dict(_dict(answer.get("meta")).get("usage")).get("usd_spent")
        usd = float(spent) if isinstance(spent, int | float) and not isinstance(spent, bool) else None
        return message["content"], usd, _count(_dict(answer.get("usage")).get("total_tokens"))

    async def _gemini(
        self, system: str, user: str, schema: dict, timeout: float
    ) -> tuple[str, float | None, int | None]:
        # no temperature/top_p/top_k: deprecated for the 2026 Flash-Lite models
        body = {
            "systemInstruction": {"parts": [{"text": system}]},
            "contents": [{"role": "user", "parts": [{"text": user}]}],
            "generationConfig": {
                "responseMimeType": "application/json",
                "responseJsonSchema": schema,
                "maxOutputTokens": MAX_TOKENS,
            },
        }
        # the Gemini API names its models bare: `google/gemini-…` (an AI/ML API id) loses its prefix
        model = self.model.removeprefix("models/").removeprefix("google/")
        url = self._base + GEMINI_PATH.format(model=model)
        answer = await self._post(url, {"x-goog-api-key": self._key}, body, timeout)
        try:
            parts = answer["candidates"][0]["content"]["parts"]
            text = "".join(p.get("text", "") for p in parts)
        except (KeyError, IndexError, TypeError, AttributeError):
            raise errors.BadRequest("Gemini API: the answer has no candidate text.") from None
        return text, None, _count(_dict(answer.get("usageMetadata")).get("totalTokenCount"))

    async def _post(self, url: str, headers: dict, body: dict, timeout: float) -> dict:
        status, answer, got = await request_json(
            self._client, "POST", url, backend=self.backend, headers=headers, json=body, timeout=timeout
        )
        if status >= 400:
            message = str(_dict(answer.get("error")).get("message") or answer.get("message") or "")[:200]
            raise error_for_status(status, message, backend=self.backend)
        return answer


def _dict(value: object) -> dict:
    """`value` when the answer put an object there, else {}: a field of the wrong shape is absent."""
    return value if isinstance(value, dict) else {}


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def chat_client(
    client: httpx.AsyncClient,
    model: str,
    *,
    aimlapi: tuple[str, str] = ("", ""),
    gemini: tuple[str, str] = ("", ""),
) -> ChatClient | None:
    """The client for `model` on the backend whose key is set ((key, base URL) each); with both,
    an id with a vendor prefix (`google/…`, `openai/…`) is the AI/ML API's, a bare id Gemini's."""
    if not model:
        return None
    (aiml_key, aiml_url), (gemini_key, gemini_url) = aimlapi, gemini
    if aiml_key and (not gemini_key or "/" in model.removeprefix("models/")):
        return ChatClient(client, "aimlapi", model, aiml_url, aiml_key)
    if gemini_key:
        return ChatClient(client, "gemini", model, gemini_url, gemini_key)
    return None
