"""Poster frames: each version's first frame as a small JPEG, read from Slack's copy of the clip in
ranges (a header, the index, the first frame; not the clip) and kept on disk, a few KB per version."""

from __future__ import annotations

import asyncio
import io
import logging
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from bot.delivery.slack_clip import SlackClips, SlackFile
from bot.media.probe import first_frame_jpeg

log = logging.getLogger(__name__)
BLOCK = 256 * 1024


class RangeFile(io.RawIOBase):
    """A read-only, seekable file over `fetch(first, last)`, a few blocks cached (for PyAV, which
    reads an MP4's index wherever it is and then the first frame)."""

    def __init__(
        self, fetch: Callable[[int, int], bytes], size: int, keep: int = 8, block: int = BLOCK
    ) -> None:
        self._fetch, self._size, self._keep, self._block_size = fetch, size, keep, block
        self._pos = 0
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self.fetched = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def _block(self, index: int) -> bytes:
        if index not in self._blocks:
            first = index * self._block_size
            data = self._fetch(first, min(self._size, first + self._block_size) - 1)
            self.fetched += len(data)
            self._blocks[index] = data
            while len(self._blocks) > self._keep:
                self._blocks.popitem(last=False)
        self._blocks.move_to_end(index)
        return self._blocks[index]

    def readinto(self, buffer) -> int:
        if self._pos >= self._size:
            return 0
        index, offset = divmod(self._pos, self._block_size)
        data = self._block(index)[offset : offset + len(buffer)]
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


class Posters:
    def __init__(self, clips: SlackClips, directory: Path) -> None:
        self.clips = clips
        self.directory = directory
        self._locks: dict[str, asyncio.Lock] = {}

    async def jpeg(self, file: SlackFile) -> bytes | None:
        """The version's poster, made once; None when the clip cannot be read."""
        path = self.directory / f"{file.file_id}.jpg"
        async with self._locks.setdefault(file.file_id, asyncio.Lock()):
            if path.is_file():
                return path.read_bytes()
            loop = asyncio.get_running_loop()

            def fetch(first: int, last: int) -> bytes:
                # PyAV reads on a worker thread; the bytes come from the event loop's HTTP client
                return asyncio.run_coroutine_threadsafe(self.clips.read(file, first, last), loop).result(60)

            try:
                data = await asyncio.to_thread(first_frame_jpeg, RangeFile(fetch, file.size))
            except Exception as exc:  # ClipUnavailable, a timeout, or PyAV's errors for a bad clip
                log.info("no poster for %s (%s)", file.file_id, type(exc).__name__)
                return None
            self.directory.mkdir(parents=True, exist_ok=True)
            path.with_suffix(".tmp").write_bytes(data)
            path.with_suffix(".tmp").replace(path)
        self._locks.pop(file.file_id, None)  # the file answers from now on; keep no lock per version
        return data
