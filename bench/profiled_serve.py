"""`python -m bench.profiled_serve OUT serve ...`: `dailies serve` under cProfile (bench only),
writing the profile to OUT when the bench stops it with SIGTERM; with DAILIES_BENCH_SLOW_MS set,
also every event-loop step longer than that, with what ran, to OUT.slow."""

from __future__ import annotations

import asyncio.base_events
import asyncio.events
import cProfile
import os
import signal
import sys
import time
from collections import Counter

from bot.cli import main


def _kind(handle) -> str:
    """What a ready callback belongs to: its task's name without the number, or the callback."""
    owner = getattr(handle._callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        return owner.get_name().rstrip("0123456789")
    return getattr(handle._callback, "__qualname__", type(handle._callback).__name__)


def _log_slow_steps(path: str, threshold_ms: float) -> None:
    """Time every callback the event loop runs; note the slow ones (a bench-only patch)."""
    original = asyncio.events.Handle._run
    out = open(path, "a", buffering=1)  # noqa: SIM115 - open for the process's lifetime

    def timed(self) -> None:
        started = time.perf_counter()
        original(self)
        took = (time.perf_counter() - started) * 1000
        if took > threshold_ms:
            owner = getattr(self._callback, "__self__", None)
            name = owner.get_name() if isinstance(owner, asyncio.Task) else repr(self._callback)
            out.write(f"{took:8.1f} ms  step of {name:.200}\n")

    def turn(loop) -> None:
        started, ready = time.perf_counter(), list(loop._ready)
        run_once(loop)
        took = (time.perf_counter() - started) * 1000
        if took > threshold_ms:
            kinds = Counter(_kind(handle) for handle in ready).most_common(4)
            out.write(f"{took:8.1f} ms  loop turn, {len(ready)} callbacks ready: {kinds}\n")

    asyncio.events.Handle._run = timed
    run_once = asyncio.base_events.BaseEventLoop._run_once
    asyncio.base_events.BaseEventLoop._run_once = turn


def run(out: str, argv: list[str]) -> None:
    profiler = cProfile.Profile()

    def stop(signum, frame) -> None:
        profiler.disable()
        profiler.dump_stats(out)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    slow = os.environ.get("DAILIES_BENCH_SLOW_MS")
    if slow:
        _log_slow_steps(out + ".slow", float(slow))
    else:
        profiler.enable()
    main(argv)


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
