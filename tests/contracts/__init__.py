"""The API owners' published schemas (and our written-down Kling rules), loaded for jsonschema.

Used by the contract tests and by the stand-ins, so a stand-in refuses what the schema refuses.
Sources and dates: tests/contracts/README.md.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HERE = Path(__file__).parent


class NoContract(LookupError):
    """No vendored schema for this model id or body: vendor one before sending it."""


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _nullable(node: object) -> object:
    """OpenAPI 3.0's `nullable: true` as JSON Schema (`type: [..., "null"]`)."""
    if isinstance(node, list):
        return [_nullable(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def _closed(schema: dict) -> dict:
    """The schema with unknown top-level fields refused: the gateway drops fields it does not
    know without a word, so a field outside the model's schema is a request we are wrong about."""
    closed = copy.deepcopy(schema)
    closed["additionalProperties"] = False
    return closed


# ---- AI/ML API: one OpenAPI 3.0 document per model id ----------------------------------------------
@functools.cache
def _aimlapi_documents() -> dict[str, dict]:
    docs = {}
    for path in sorted((HERE / "aimlapi").glob("*.json")):
        doc = _load(path)
        op = doc["paths"].get("/v2/video/generations", {}).get("post")
        if op is None:
            continue
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        for model in schema["properties"]["model"]["enum"]:
            docs[model] = doc
    return docs


def aimlapi_models() -> frozenset[str]:
    return frozenset(_aimlapi_documents())


def aimlapi_request_schema(model: str) -> dict:
    """The create-body schema the AI/ML API publishes for `model` (unknown fields refused)."""
    doc = _aimlapi_documents().get(model)
    if doc is None:
        raise NoContract(f"no AI/ML API schema vendored for {model!r} in tests/contracts/aimlapi/")
    op = doc["paths"]["/v2/video/generations"]["post"]
    return _closed(_nullable(op["requestBody"]["content"]["application/json"]["schema"]))


@functools.cache
def aimlapi_status_schema() -> dict:
    """`GET /v2/video/generations` answer (universal-video-fetch.json)."""
    op = _load(HERE / "aimlapi" / "universal-video-fetch.json")["paths"]["/v2/video/generations"]["get"]
    return _nullable(op["responses"]["200"]["content"]["application/json"]["schema"])


# ---- OpenAI: an excerpt of openai-openapi's components ----------------------------------------------
@functools.cache
def _openai_registry() -> tuple[Registry, str]:
    doc = _load(HERE / "openai" / "videos.openapi.json")
    uri = "urn:openai-openapi"
    resource = Resource.from_contents(doc, default_specification=DRAFT202012)
    return Registry().with_resource(uri, resource), uri


def openai_validator(component: str) -> Draft202012Validator:
    registry, uri = _openai_registry()
    return Draft202012Validator({"$ref": f"{uri}#/components/schemas/{component}"}, registry=registry)


# ---- Kling: our written-down rules --------------------------------------------------------------------
KLING_BODIES = {
    "text2video": "text2video",
    "image2video": "image2video",
    "omni-video": "omni_video",
    "avatar/image2video": "avatar",
    "tts": "tts",
    "element": "element",
    "identify-face": "identify_face",
    "advanced-lip-sync": "advanced_lip_sync",
    "custom-voice": "custom_voice",
}


@functools.cache
def _kling_registry() -> tuple[Registry, str]:
    doc = _load(HERE / "kling" / "requests.schema.json")
    return Registry().with_resource(doc["$id"], Resource.from_contents(doc)), doc["$id"]


def kling_validator(body: str) -> Draft202012Validator:
    """`body`: a legacy route ("omni-video", …), "tts" or "element"."""
    if body not in KLING_BODIES:
        raise NoContract(f"no Kling rules written down for {body!r} in tests/contracts/kling/")
    registry, uri = _kling_registry()
    return Draft202012Validator({"$ref": f"{uri}#/$defs/{KLING_BODIES[body]}"}, registry=registry)


@functools.cache
def kling_answer_validator(name: str) -> Draft202012Validator:
    """A Kling answer shape (tests/contracts/kling/answers.schema.json `$defs`)."""
    doc = _load(HERE / "kling" / "answers.schema.json")
    registry = Registry().with_resource(doc["$id"], Resource.from_contents(doc))
    return Draft202012Validator({"$ref": f"{doc['$id']}#/$defs/{name}"}, registry=registry)


# ---- Gemini API: the Interactions create body (our written-down shapes) ------------------------------
GEMINI_BODIES = {"interactions": "create_model_interaction"}


@functools.cache
def gemini_validator(body: str) -> Draft202012Validator:
    """`body`: "interactions" (POST /v1beta/interactions for Gemini Omni)."""
    if body not in GEMINI_BODIES:
        raise NoContract(f"no Gemini API shape written down for {body!r} in tests/contracts/gemini/")
    doc = _load(HERE / "gemini" / "interactions.schema.json")
    registry = Registry().with_resource(doc["$id"], Resource.from_contents(doc))
    return Draft202012Validator({"$ref": f"{doc['$id']}#/$defs/{GEMINI_BODIES[body]}"}, registry=registry)


# ---- shared -----------------------------------------------------------------------------------------
def problems(validator: Draft202012Validator, body: object) -> list[str]:
    """Every violation, worded `path: message`, in a stable order."""
    found = []
    for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path))):
        where = ".".join(str(p) for p in error.absolute_path) or "(body)"
        found.append(f"{where}: {error.message}")
    return found


def schema_problems(schema: dict, body: object) -> list[str]:
    return problems(Draft202012Validator(schema), body)


def fixture(*parts: str) -> object:
    """A recorded answer from tests/contracts/<backend>/answers/…"""
    return _load(HERE.joinpath(*parts))
