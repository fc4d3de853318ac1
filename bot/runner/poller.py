"""One poll loop per backend: every waiting take asks "tell me when you have news", and the loop
asks the backend about all due tasks together (in batches where the backend allows it)."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time

from bot.providers.base import Provider, RenderSpec, TaskStatus
from bot.providers.errors import ProviderError, Unavailable

log = logging.getLogger(__name__)

# Status requests in flight per backend at once: more only queue in httpx's connection pool, whose
# bookkeeping grows with the queue and stalls the event loop (and Slack acks) under 1,000 jobs.
POLLS_AT_ONCE = 16


class Poller:
    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self._heap: list[tuple[float, int, str]] = []
        self._waiting: dict[str, tuple[RenderSpec, asyncio.Future]] = {}
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.polls = 0  # status requests made (a batch counts once)
        self._gate = asyncio.Semaphore(POLLS_AT_ONCE)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=f"poller-{self.provider.backend}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for _, fut in self._waiting.values():
            if not fut.done():
                fut.cancel()

    async def check(self, task_id: str, spec: RenderSpec, after: float) -> TaskStatus:
        """Wait `after` seconds (or until poked), then return the task's status (raises ProviderError)."""
        if task_id in self._waiting:
            raise RuntimeError(f"task {task_id} is already being polled")
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        self._waiting[task_id] = (spec, fut)
        heapq.heappush(self._heap, (time.monotonic() + after, next(self._seq), task_id))
        self._wake.set()
        try:
            return await fut
        finally:
            self._waiting.pop(task_id, None)

    def poke(self, task_id: str) -> bool:
        """A webhook said the task changed: poll it now. False if nobody is waiting on it."""
        if task_id not in self._waiting:
            return False
        heapq.heappush(self._heap, (time.monotonic(), next(self._seq), task_id))
        self._wake.set()
        return True

    def next_check(self, task_id: str) -> float | None:
        """Seconds until the task's next scheduled status check; None when nobody waits on it."""
        if task_id not in self._waiting:
            return None
        due = [at for at, _, queued in self._heap if queued == task_id]
        return max(0.0, min(due) - time.monotonic()) if due else None

    def _due(self) -> list[str]:
        now = time.monotonic()
        due: list[str] = []
        while self._heap and self._heap[0][0] <= now:
            _, _, task_id = heapq.heappop(self._heap)
            if task_id in self._waiting and task_id not in due:
                due.append(task_id)
        return due

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            due = self._due()
            if not due:
                timeout = max(0.0, self._heap[0][0] - time.monotonic()) if self._heap else None
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout)
                except TimeoutError:
                    pass
                continue
            size = max(1, self.provider.max_batch)
            batches = [due[i : i + size] for i in range(0, len(due), size)]
            await asyncio.gather(*(self._gated_poll(batch) for batch in batches))

    async def _gated_poll(self, batch: list[str]) -> None:
        async with self._gate:
            await self._poll_batch(batch)

    async def _poll_batch(self, batch: list[str]) -> None:
        items = [(task_id, self._waiting[task_id][0]) for task_id in batch if task_id in self._waiting]
        if not items:
            return
        self.polls += 1
        try:
            if len(items) == 1:
                statuses = {items[0][0]: await self.provider.status(*items[0])}
            else:
                statuses = await self.provider.status_many(items)
        except ProviderError as exc:
            for task_id, _ in items:
                self._settle(task_id, exc=exc)
            return
        except Exception as exc:  # a bug in a backend must not kill the loop for every job
            log.exception("poll of %s failed", self.provider.backend)
            for task_id, _ in items:
                self._settle(task_id, exc=Unavailable(f"{self.provider.backend} status check failed: {exc}"))
            return
        for task_id, _ in items:
            status = statuses.get(task_id)
            if status is None:
                self._settle(
                    task_id, exc=Unavailable(f"{self.provider.backend} did not report task {task_id}")
                )
            else:
                self._settle(task_id, status=status)

    def _settle(
        self, task_id: str, *, status: TaskStatus | None = None, exc: Exception | None = None
    ) -> None:
        entry = self._waiting.get(task_id)
        if entry is None or entry[1].done():
            return
        if exc is not None:
            entry[1].set_exception(exc)
        else:
            entry[1].set_result(status)
