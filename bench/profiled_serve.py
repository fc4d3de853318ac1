"""`python -m bench.profiled_serve OUT serve ...`: `dailies serve` under cProfile (bench only),
writing the profile to OUT when the bench stops it with SIGTERM."""

from __future__ import annotations

import cProfile
import os
import signal
import sys

from bot.cli import main


def run(out: str, argv: list[str]) -> None:
    profiler = cProfile.Profile()

    def stop(signum, frame) -> None:
        profiler.disable()
        profiler.dump_stats(out)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    profiler.enable()
    main(argv)


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
