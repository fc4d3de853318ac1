from __future__ import annotations

import pytest
import pytest_asyncio

from storage.engines import connect
from tests.fakes.block_kit import PAYLOADS
from tests.fakes.slack import running
from tests.harness import running_bot
from tests.postgres_server import started_or_skipped

ENGINES = ("sqlite", "postgresql")


@pytest.fixture(autouse=True)
def block_kit_checked():
    """Every Block Kit payload a test has the bot send to a Slack stand-in is checked against Slack's
    rules when the test ends (slack_sdk.models and the documented limits): each test checks its own."""
    PAYLOADS.clear()
    yield
    found = PAYLOADS.problems()
    PAYLOADS.clear()
    if found:
        pytest.fail("Slack would reject or cut these payloads:\n" + "\n".join(found[:20]), pytrace=False)


@pytest_asyncio.fixture
async def slack():
    async with running() as standin:
        yield standin


@pytest_asyncio.fixture
async def bot(tmp_path, slack):
    async with running_bot(tmp_path, slack) as b:
        yield b


@pytest.fixture(scope="session")
def postgres():
    """One throwaway PostgreSQL server for the session, started on first use. In CI (`CI=true`)
    a server that cannot start fails the tests that need it; elsewhere they are skipped."""
    server = started_or_skipped()
    yield server
    server.stop()


@pytest.fixture
def database_url(postgres) -> str:
    """A fresh PostgreSQL database of its own for this test."""
    return postgres.new_database()


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    """Run the test once on SQLite and once on PostgreSQL."""
    return request.param


@pytest.fixture
def db_env(engine, request, tmp_path) -> dict[str, str]:
    """The environment that points `dailies` at a fresh database of the test's engine."""
    if engine == "postgresql":
        return {"DATABASE_URL": request.getfixturevalue("database_url")}
    return {"DAILIES_DB": str(tmp_path / "dailies.db")}


@pytest.fixture
def fresh_db(engine, request):
    """A migrated, empty database: in-memory SQLite, or a new PostgreSQL database."""
    if engine == "postgresql":
        db = connect(database_url=request.getfixturevalue("database_url"))
    else:
        db = connect(":memory:")
    yield db
    db.close()
