"""Wall time of `dailies try` for a 4 s preview clip, end to end in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.stack import ROOT

PROMPT = "a lighthouse keeper walks the pier at dusk, slow dolly in --seconds 4"


def measure_try(prompt: str = PROMPT) -> dict:
    """Run `python -m bot.cli try PROMPT` with no provider keys (the preview renderer) and time it."""
    with tempfile.TemporaryDirectory(prefix="dailies-try-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DAILIES_", "KLING_"))}
        env |= {
            "DAILIES_DB": str(Path(tmp) / "dailies.db"),
            "DAILIES_MEDIA_DIR": str(Path(tmp) / "media"),
            "PYTHONPATH": str(ROOT),
        }
        for key in ("AIMLAPI_API_KEY", "OPENAI_API_KEY", "KLING_ACCESS_KEY"):
            env.pop(key, None)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "try", prompt],
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=120,
        )
        elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"dailies try failed ({done.returncode}):\n{done.stdout[-1500:]}{done.stderr[-1500:]}"
        )
    return {"name": "try", "seconds": round(elapsed, 2), "clip_seconds": 4}


if __name__ == "__main__":
    print(measure_try())
