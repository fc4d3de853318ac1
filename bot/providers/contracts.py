"""Which request shapes each backend's wire code sends rest on a schema the API owner publishes,
and which on documentation only (`dailies doctor` says so; tests/contracts checks both)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ShapeSources:
    published: tuple[str, ...]  # shapes checked against the owner's machine-readable schema
    documented: tuple[str, ...]  # shapes checked only against rules written down from its docs
    source: str  # where the schema or the docs come from


def _aimlapi() -> ShapeSources:
    from bot.providers.aimlapi import wire

    ids = {w.id for w in wire.WIRE_MODELS.values()} | {w.id for w in getattr(wire, "FIRST_LAST", {}).values()}
    ids = {i.replace("{res}", r) for i in ids for r in ("720p", "1080p")}
    return ShapeSources(
        tuple(sorted(ids)), (), "the AI/ML API's per-model OpenAPI schemas (aimlapi/api-docs)"
    )


def _openai() -> ShapeSources:
    return ShapeSources(
        ("POST /videos", "POST /videos/edits", "POST /videos/extensions", "POST /videos/{id}/remix"),
        (),
        "openai-openapi (CreateVideoJsonBody, CreateVideoEditJsonBody, CreateVideoExtendJsonBody, …)",
    )


def _kling() -> ShapeSources:
    from bot.providers.kling import wire

    routes = tuple(f"POST {wire.VIDEO_PATH.format(route=r)}" for r in wire.ROUTES)
    return ShapeSources(
        (),
        (*routes, f"POST {wire.TTS_PATH}", f"POST {wire.ELEMENTS_PATH}"),
        "Kling publishes no schema: field rules from Kling's docs and clients (ComfyUI, okaris/kling)",
    )


_BY_BACKEND = {"aimlapi": _aimlapi, "openai": _openai, "kling": _kling}


def shape_sources(backend: str) -> ShapeSources | None:
    """None for a backend that sends no requests (the local preview) or has no contract yet."""
    build = _BY_BACKEND.get(backend)
    return build() if build else None
