from __future__ import annotations

import pytest
import pytest_asyncio

from storage.db import connect
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


@pytest.fixture
def fresh_db():
    """A migrated in-memory database, as every storage test uses."""
    db = connect(":memory:")
    yield db
    db.conn.close()
