"""Two replicas on one database share the backends' model lists: one read serves both for the hour,
and a "gone" answer on one moves the other to the next listed id at its next load."""

from __future__ import annotations

import dataclasses

from bot.providers.base import Mode, RenderSpec
from bot.providers.discovery import State
from bot.providers.registry import build_providers
from bot.request.catalogue import shipped_catalogue
from bot.runner.model_watch import ModelWatch
from storage.db import Store
from storage.engines import connect
from tests.fakes.gemini import FakeGemini


async def test_replicas_share_one_read_and_one_gone_answer(tmp_path, config, http):
    catalogue = shipped_catalogue()
    async with FakeGemini() as fake:
        config = dataclasses.replace(config, gemini_api_key=fake.api_key, gemini_base_url=fake.base_url)
        stores = [Store(connect(path=tmp_path / "shared.db")) for _ in range(2)]
        try:
            first, second = (
                ModelWatch(store, build_providers(config, http, catalogue), catalogue, config)
                for store in stores
            )
            await first.refresh()
            await second.refresh()
            assert len([r for r in fake.requests if r.path == "/v1beta/models"]) == 1  # read once
            gemini = second.providers["gemini"]
            assert gemini.model_state("veo-3.1").provider_id == "veo-3.1-generate-001"

            spec = RenderSpec("veo-3.1", Mode.TEXT, "a lighthouse")
            instead = await first.gone(first.providers["gemini"], spec)
            assert instead == " Try `--model kling-v3-pro`."  # the row's alternative, routed here
            await second.load()
            assert gemini.model_state("veo-3.1").provider_id == "veo-3.1-generate-preview"
            await first.gone(first.providers["gemini"], spec)  # the preview id answers gone too
            await second.load()
            assert gemini.model_state("veo-3.1").state is State.UNAVAILABLE
            assert gemini.model_state("veo-3.1-fast").state is State.AVAILABLE  # only what was sent

            await second.refresh(force=True)  # `dailies models`: read now, whatever the hour
            assert len([r for r in fake.requests if r.path == "/v1beta/models"]) == 2
        finally:
            for store in stores:
                store.close()
