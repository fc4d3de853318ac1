"""README's way of looking inside the embedded database works: the `sqlite-utils` commands it shows,
run verbatim by the real console script on the `dailies.db` that `dailies try` leaves behind."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import sys
from pathlib import Path

from storage.migrations import MIGRATIONS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SETTINGS = re.compile(r"^(SLACK_|DAILIES_|KLING_|OPENAI_|AIMLAPI_|GEMINI_|DATABASE_URL)")


def documented(verb: str) -> list[str]:
    """README's `sqlite-utils VERB …` command line, split as a shell would."""
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    lines = [
        line for block in blocks for line in block.splitlines() if line.startswith(f"sqlite-utils {verb} ")
    ]
    assert len(lines) == 1, f"README shows {len(lines)} `sqlite-utils {verb}` commands"
    return shlex.split(lines[0])


def dailies() -> list[str]:
    script = shutil.which("dailies")
    return [script] if script else [sys.executable, "-m", "bot.cli"]


def sqlite_utils() -> str:
    """The console script the package installs (beside this Python when the venv is not on PATH)."""
    found = shutil.which("sqlite-utils") or str(Path(sys.executable).with_name("sqlite-utils"))
    assert Path(found).is_file(), "sqlite-utils is a dependency: its console script must be installed"
    return found


async def run(cwd: Path, *args: str, timeout: float = 120) -> str:
    # an operator's shell in that directory: README's defaults (./dailies.db), no DAILIES_* settings
    env = {k: v for k, v in os.environ.items() if not SETTINGS.match(k)}
    env["DAILIES_PREVIEW_SCALE"] = "0.5"
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode == 0, f"{args} exited {proc.returncode}: {out.decode()}{err.decode()}"
    return out.decode()


async def test_the_documented_sqlite_utils_commands_read_what_dailies_try_stored(tmp_path):
    await run(tmp_path, *dailies(), "try", "a red fox in fresh snow --seconds 3")
    assert (tmp_path / "dailies.db").is_file()

    tables = documented("tables")
    assert tables == ["sqlite-utils", "tables", "dailies.db", "--counts"]
    counts = {t["table"]: t["count"] for t in json.loads(await run(tmp_path, sqlite_utils(), *tables[1:]))}
    assert counts["jobs"] == counts["takes"] == counts["shots"] == 1
    assert counts["schema_migrations"] == len(MIGRATIONS) and counts["transitions"] > 1

    query = documented("query")
    assert query[:3] == ["sqlite-utils", "query", "dailies.db"]
    lines = (await run(tmp_path, sqlite_utils(), *query[1:])).splitlines()
    assert lines[0].split() == ["id", "state", "model", "estimate_usd", "cost_usd"]
    assert lines[2].split()[:2] == ["1", "delivered"], lines
