from __future__ import annotations

import pytest_asyncio

from tests.fakes.slack import running
from tests.harness import running_bot


@pytest_asyncio.fixture
async def slack():
    async with running() as standin:
        yield standin


@pytest_asyncio.fixture
async def bot(tmp_path, slack):
    async with running_bot(tmp_path, slack) as b:
        yield b
