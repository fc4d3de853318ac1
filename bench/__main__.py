"""`python -m bench`: run the benchmarks against local stand-ins and print one table.

python -m bench                    # everything (20 minutes or more on 2 cores; the campaign is ~10)
python -m bench --quick            # smaller runs (7 min 55 s on 2 cores, 2026-12-01; `scale` adds ~2 min)
python -m bench --only ack,try     # a subset: ack, burst, delivery, screening, traffic, try, preview, replicas, scale,
                                   # reference_video, cut
python -m bench --only campaign    # Slack-tier campaign only: 80 jobs in 4 channels, then 300 in 10 (about 11 minutes)
python -m bench --only scale       # PostgreSQL at scale: 1,000 in flight on 2 replicas, a restart under
                                   # 200 takes, CPU and SQL per job for 1 and 2 replicas (--quick: ~2 min)
python -m bench --only cut         # the cut's memory: ten ~100 MB 1080p shots assembled (--quick: 20 MB;
                                   # DAILIES_BENCH_CUT_MB sets the size)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys

from bench.ack import measure_ack
from bench.at_scale import measure_at_scale
from bench.burst import measure_burst
from bench.campaign import campaign_load, measure_campaigns
from bench.cut_memory import measure_cut
from bench.preview_speed import measure_preview_speed
from bench.reference_video import measure_reference_video
from bench.replicas import measure_replicas
from bench.report import table
from bench.rss import measure_delivery
from bench.screening import measure_screening
from bench.traffic import measure_traffic
from bench.try_wall import measure_try

NAMES = ("ack", "burst", "delivery", "screening", "traffic", "try", "preview", "replicas", "reference_video")
NAMES += ("campaign", "scale", "cut")


def run(name: str, quick: bool) -> dict:
    if name == "campaign":  # both at real clock (--quick: 40 jobs on a 2x clock)
        loads = (
            (campaign_load(40, 4, scale=2.0),) if quick else (campaign_load(80, 4), campaign_load(300, 10))
        )
        return asyncio.run(measure_campaigns(loads))
    if name == "ack":
        return asyncio.run(measure_ack(probes=30 if quick else 100))
    if name == "burst":
        return asyncio.run(measure_burst(jobs=300 if quick else 1000, min_probes=30 if quick else 100))
    if name == "delivery":
        return asyncio.run(measure_delivery((10, 100) if quick else (10, 100, 300)))
    if name == "screening":
        return asyncio.run(measure_screening(100 if quick else 300, seeks=10 if quick else 20))
    if name == "traffic":
        return asyncio.run(measure_traffic(render_seconds=15 if quick else 60, jobs=3 if quick else 5))
    if name == "try":
        return measure_try()
    if name == "reference_video":
        return asyncio.run(measure_reference_video((5, 50) if quick else (5, 50, 100)))
    if name == "scale":  # the 1,000 in flight and the 200 takes restarted are kept in --quick
        return asyncio.run(
            measure_at_scale(
                jobs=1000, probes=30 if quick else 100, takes=200, delivered=60 if quick else 200
            )
        )
    if name == "cut":
        return measure_cut(shot_mb=20 if quick else 100)
    if name == "replicas":
        return asyncio.run(measure_replicas(jobs=300 if quick else 600, probes=30 if quick else 100))
    return measure_preview_speed()


def machine() -> str:
    memory = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.split("\n")[1].split()[1]
    return f"{os.cpu_count()} cores, {memory} memory, Python {sys.version.split()[0]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs, under two minutes")
    parser.add_argument("--only", default=",".join(NAMES), help=f"comma-separated subset of {NAMES}")
    parser.add_argument("--json", action="store_true", help="also print the raw results as JSON")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(NAMES)}")
    results = []
    for name in names:
        print(f"running {name}…", file=sys.stderr, flush=True)
        results.append(run(name, args.quick))
    print(f"Machine: {machine()}{' (quick mode)' if args.quick else ''}\n")
    print(table(results))
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
