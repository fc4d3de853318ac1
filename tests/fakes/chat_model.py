"""A stand-in chat model over real HTTP on 127.0.0.1: the AI/ML API's chat completions and the Gemini
API's generateContent with a JSON schema (providers-2026-12-06 §e). It checks the request as those
APIs do and answers what a test scripts: a plan, garbage, an error status, or too slowly."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field

from aiohttp import web

from tests.fakes.base import RecordedRequest, record_request, serve

KEY = "chat-test-key"
USD_PER_CALL = 0.000042  # what the AI/ML API stand-in reports in meta.usage.usd_spent
DEPRECATED = {"temperature", "topP", "topK"}  # Gemini 3.5 Flash-Lite: not to be sent


@dataclass
class FakeChatModel:
    requests: list[RecordedRequest] = field(default_factory=list)
    base_url: str = ""
    plan: dict | None = None  # the JSON the model answers
    garbage: str | None = None  # instead: this text as the model's content
    status: int | None = None  # instead: this HTTP status with an error envelope
    delay: float = 0.0  # seconds before answering
    _runner: web.AppRunner | None = None

    async def start(self) -> FakeChatModel:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._aiml)
        app.router.add_post(r"/v1beta/models/{model}:generateContent", self._gemini)
        self._runner, self.base_url = await serve(app)
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def calls(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST"]

    def _content(self) -> str:
        return self.garbage if self.garbage is not None else json.dumps(self.plan or {})

    async def _aiml(self, request: web.Request) -> web.Response:
        body = await record_request(request, self.requests)
        if request.headers.get("Authorization") != f"Bearer {KEY}":
            return _error(401, "Invalid API key")
        problem = _aiml_problem(body)
        if problem:
            return _error(400, problem)
        await asyncio.sleep(self.delay)
        if self.status:
            return _error(self.status, "Upstream error")
        message = {"role": "assistant", "content": self._content(), "refusal": None}
        return web.json_response(
            {
                "id": "chatcmpl-1", "object": "chat.completion", "created": 1796000000, "model": body["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 310, "completion_tokens": 24, "total_tokens": 334},
                "meta": {"usage": {"credits_used": 88, "usd_spent": USD_PER_CALL}},
            }
        )  # fmt: skip

    async def _gemini(self, request: web.Request) -> web.Response:
        body = await record_request(request, self.requests)
        if request.headers.get("x-goog-api-key") != KEY:
            return _error(403, "API key not valid. Please pass a valid API key.")
        problem = _gemini_problem(body)
        if problem:
            return _error(400, problem)
        await asyncio.sleep(self.delay)
        if self.status:
            return _error(self.status, "The model is overloaded. Please try again later.")
        return web.json_response(
            {
                "candidates": [
                    {"content": {"role": "model", "parts": [{"text": self._content()}]}, "finishReason": "STOP"}
                ],
                "usageMetadata": {"promptTokenCount": 300, "candidatesTokenCount": 20, "totalTokenCount": 320},
                "modelVersion": request.match_info["model"], "responseId": "r-1",
            }
        )  # fmt: skip


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": {"code": status, "message": message}}, status=status)


def _schema_problem(schema: object) -> str | None:
    if not isinstance(schema, dict) or schema.get("type") != "object" or "properties" not in schema:
        return "schema must be a JSON Schema object with properties"
    return None


def _aiml_problem(body: dict | None) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return "Body validation error! model is required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not all(
        isinstance(m, dict)
        and m.get("role") in ("system", "user", "assistant")
        and isinstance(m.get("content"), str)
        for m in messages
    ):
        return "Body validation error! messages"
    fmt = body.get("response_format") or {}
    if fmt.get("type") != "json_schema":
        return "expected response_format json_schema"
    spec = fmt.get("json_schema") or {}
    if not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", str(spec.get("name", ""))):
        return "response_format.json_schema.name must be 1-64 of [a-zA-Z0-9_-]"
    return _schema_problem(spec.get("schema"))


def _gemini_problem(body: dict | None) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("contents"), list):
        return "* GenerateContentRequest.contents: contents is not specified"
    config = body.get("generationConfig") or {}
    if DEPRECATED & set(config):
        return f"deprecated sampling parameters sent: {sorted(DEPRECATED & set(config))}"
    if config.get("responseMimeType") != "application/json":
        return "responseJsonSchema needs responseMimeType application/json"
    return _schema_problem(config.get("responseJsonSchema"))
