"""The media disk fills while clips download, against `dailies serve` as a real process: the takes wait
(their card says why) and are delivered exactly once when space is freed.

The disk is a real 6 MB tmpfs mounted on the media directory when the test runs as root; otherwise
ENOSPC is simulated at the file-write layer in the bot process (a sitecustomize on its PYTHONPATH that
makes writes under the media directory fail with ENOSPC past 64 KB while a "full" flag file exists)."""

from __future__ import annotations

import asyncio
import os
import struct
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.fakes.kling import FakeKling
from tests.fakes.mp4 import sample_mp4
from tests.fakes.slack import running
from tests.faultbot import ROOT, FaultBot
from tests.scenario.test_outages import all_delivered_once, cards, completes_per_card

pytestmark = pytest.mark.faults

DISK_FULL = "the media disk is full"
CLIP_BYTES = 1536 * 1024  # each clip: larger than the room left on the full disk

# Loaded by the bot process only (its PYTHONPATH): writes to files under DAILIES_MEDIA_DIR fail with
# ENOSPC once 64 KB are written while the flag file exists, as a full disk fails them.
SITECUSTOMIZE = """
import builtins, errno, io, os

_open = io.open
_media = os.path.realpath(os.environ["DAILIES_MEDIA_DIR"])
_flag = os.environ["FAKE_DISK_FULL_FLAG"]


class _Capped:
    def __init__(self, f):
        self._f, self._written = f, 0

    def write(self, data):
        self._written += len(data)
        if self._written > 64 * 1024 and os.path.exists(_flag):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._f.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()

    def __getattr__(self, name):
        return getattr(self._f, name)


def _capped_open(file, mode="r", *args, **kwargs):
    f = _open(file, mode, *args, **kwargs)
    if isinstance(file, (str, os.PathLike)) and ("w" in mode or "a" in mode):
        if os.path.realpath(os.fspath(file)).startswith(_media + os.sep):
            return _Capped(f)
    return f


io.open = builtins.open = _capped_open
"""


def padded_clip(path: Path, size: int) -> Path:
    """The sample clip grown to `size` bytes by a trailing MP4 `free` box (still a valid MP4)."""
    data = sample_mp4().read_bytes()
    pad = size - len(data)
    path.write_bytes(data + struct.pack(">I", pad) + b"free" + bytes(pad - 8))
    return path


def _mounted(media: Path) -> bool:
    """Mount a 6 MB tmpfs on `media` (root only); False when this machine can't."""
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(media)], capture_output=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


class FullDisk:
    """The media directory's disk: `fill()` leaves it with less room than a clip, `free()` frees it."""

    def __init__(self, media: Path, tmp: Path) -> None:
        self.media, self.tmp = media, tmp
        self.tmpfs = False
        self.env: dict[str, str] = {}

    def mount(self) -> None:
        self.media.mkdir(parents=True)
        self.tmpfs = os.geteuid() == 0 and _mounted(self.media)
        if not self.tmpfs:
            hooks = self.tmp / "hooks"
            hooks.mkdir()
            (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE)
            self.env = {
                "PYTHONPATH": f"{hooks}{os.pathsep}{ROOT}",
                "FAKE_DISK_FULL_FLAG": str(self.tmp / "disk-full"),
            }

    def fill(self) -> None:
        if not self.tmpfs:
            Path(self.env["FAKE_DISK_FULL_FLAG"]).touch()
            return
        stat = os.statvfs(self.media)
        room = stat.f_bavail * stat.f_frsize
        (self.media / "filler").write_bytes(bytes(room - 256 * 1024))

    def free(self) -> None:
        if self.tmpfs:
            (self.media / "filler").unlink()
        else:
            Path(self.env["FAKE_DISK_FULL_FLAG"]).unlink()

    def unmount(self) -> None:
        if self.tmpfs:
            subprocess.run(["umount", "-l", str(self.media)], check=False)


@contextmanager
def full_disk(tmp: Path) -> Iterator[FullDisk]:
    disk = FullDisk(tmp / "media", tmp)
    disk.mount()
    try:
        yield disk
    finally:
        disk.unmount()


async def test_media_disk_full_during_download_waits_then_delivers_each_clip_once(tmp_path):
    async with running() as slack, FakeKling() as kling:
        kling.result_mp4 = padded_clip(tmp_path / "clip.mp4", CLIP_BYTES)
        kling.never_finish = True
        with full_disk(tmp_path / "bot") as disk:
            bot = FaultBot(
                tmp_path / "bot", slack, KLING_API_KEY=kling.api_key, KLING_BASE_URL=kling.url, **disk.env
            )
            await bot.start()
            try:
                for i in range(2):
                    status, _ = await bot.command(f"shot {i} of a lighthouse --model kling-v3 --seconds 5")
                    assert status == 200
                await bot.wait(
                    lambda: len(kling.tasks) == 2 and len(cards(slack)) == 2, "two takes rendering"
                )

                disk.fill()
                kling.never_finish = False  # the clips are ready, and there is no room for them
                await bot.wait(
                    lambda: all(
                        t["state"] == "downloading" and DISK_FULL in (t["status_note"] or "")
                        for t in bot.takes()
                    ),
                    "both takes waiting for space",
                )
                await slack.wait_for(lambda: all(DISK_FULL in c["text"] for c in cards(slack)))
                await asyncio.sleep(1.5)  # several tries meanwhile
                assert [j["state"] for j in bot.jobs()] == ["rendering"] * 2, "no job failed meanwhile"
                assert not slack.calls_to("files.completeUploadExternal"), "nothing half-saved was sent"
                assert not list(disk.media.glob("*.part")), "no partial download left taking the room"

                disk.free()
                await all_delivered_once(bot, slack, jobs=2)
                assert len(kling.creates) == 2, "no take was rendered (and paid for) twice"
                assert set(completes_per_card(slack).values()) == {1}, completes_per_card(slack)
                assert all(t["status_note"] is None and t["bytes"] == CLIP_BYTES for t in bot.takes())
                assert all(DISK_FULL not in c["text"] for c in cards(slack))
                log = bot.log()
                # one line per take as the disk filled and one as it had room again, not one per try
                assert log.count("the media disk is full") == 2, log[-3000:]
                assert log.count("the media disk has space again") == 2
            finally:
                bot.stop()
