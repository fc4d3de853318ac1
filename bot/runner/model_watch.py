"""Live discovery: each backend's model list read at start and every DAILIES_MODEL_LIST_SECONDS
into the database, a backend's "model gone" answer marked there at once, and every provider's
view (`Provider.models`) loaded from it, so all replicas send and refuse the same ids."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from bot.config import Config
from bot.providers.base import Mode, Provider, RenderSpec
from bot.providers.discovery import GONE_HOLD, BackendModels, Sighting
from bot.providers.errors import ProviderError
from bot.providers.registry import living_alternative
from bot.request.catalogue import Catalogue
from storage import model_sightings
from storage.clock import now_iso
from storage.db import Store

log = logging.getLogger(__name__)
# how often a replica loads what the others found (a gone mark, a list read) between reads
SYNC_SECONDS = 60.0


class ModelWatch:
    def __init__(
        self, store: Store, providers: dict[str, Provider], catalogue: Catalogue, config: Config
    ) -> None:
        self.store = store
        self.providers = providers
        self.catalogue = catalogue
        self.config = config
        self.every = config.model_list_seconds

    def candidates(self, provider: Provider) -> list[str]:
        """Every provider id the catalogue's models could be sent as on `provider`, in any mode."""
        ids: dict[str, None] = {}
        for model in self.catalogue:
            for mode in Mode:
                ids.update(dict.fromkeys(provider.provider_ids(model, mode)))
        return list(ids)

    async def refresh(self, *, force: bool = False) -> None:
        """Read the lists that are due (all of them with `force`, as `dailies models` does), then
        load the database's view into every provider. A list that cannot be read keeps the last one."""
        reads, _ = await self.store.run(model_sightings.everything)
        due = datetime.now(UTC) - timedelta(seconds=self.every)
        for name, provider in self.providers.items():
            last = reads.get(name)
            if not provider.publishes_models or (not force and last and _time(last) > due):
                continue  # another replica read it within the hour: its view is shared
            try:
                listed = await provider.list_models()
            except ProviderError as exc:
                log.warning("could not read %s's model list: %s", name, exc.message)
                continue
            ids = self.candidates(provider)
            await self.store.run(
                model_sightings.record_read, name, now_iso(),
                [i for i in ids if i in listed], [i for i in ids if i not in listed],
            )  # fmt: skip
        await self.load()

    async def load(self) -> None:
        """Hand every provider what the database knows of its model list."""
        reads, rows = await self.store.run(model_sightings.everything)
        by_backend: dict[str, dict[str, Sighting]] = {}
        for row in rows:
            by_backend.setdefault(row["backend"], {})[row["provider_id"]] = Sighting(
                row["provider_id"], row["last_seen"], row["missing_since"], row["gone_at"]
            )
        for name, provider in self.providers.items():
            provider.models = BackendModels(reads.get(name), MappingProxyType(by_backend.get(name, {})))

    async def gone(self, provider: Provider, spec: RenderSpec) -> str:
        """The backend answered that `spec.model` is gone: mark the id it was sent as, at once, and
        say what to use instead (a sentence, "" when nothing here can)."""
        sent = provider.sent_id(spec.model, spec.mode)
        if sent is not None:
            now = datetime.now(UTC)
            held = (now - GONE_HOLD).isoformat(timespec="milliseconds")
            await self.store.run(
                model_sightings.mark_gone,
                provider.backend,
                sent,
                now.isoformat(timespec="milliseconds"),
                held,
            )
            await self.load()
        instead = living_alternative(spec.model, self.catalogue, self.config, self.providers)
        return f" Try `--model {instead}`." if instead else ""

    async def keep_watching(self) -> None:
        """Read the lists when due, and load the others' findings, until cancelled."""
        while True:
            await asyncio.sleep(min(SYNC_SECONDS, self.every))
            try:
                await self.refresh()
            except Exception:  # a database hiccup must not end the watch
                log.exception("model watch: refresh failed; trying again later")


def _time(at: str) -> datetime:
    try:
        return datetime.fromisoformat(at)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
