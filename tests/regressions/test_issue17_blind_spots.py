"""issue 17: three one-line regressions, each caught by a test here that fails when its bug is
planted back: the secret mask on the root logger instead of the handler,
failed or cancelled takes counted as reserved budget, the provider download read whole."""

from __future__ import annotations

import logging
import tracemalloc

import httpx
import pytest
from aiohttp import web

from bot.logs import setup_logging
from bot.providers.http import stream_to_file
from storage import approvals
from storage import jobs as jobs_db
from tests.fakes.base import serve

SECRET = "xoxb-1111-2222-abcdefghijklmnop"
KEY = "kling-live-key-0123456789"


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("logger", ["dailies.runner", "slack_sdk.web.async_client", "aiohttp.access"])
def test_a_secret_logged_through_a_named_logger_is_masked(logger, capsys, restore_logging):
    setup_logging((SECRET, KEY))  # the handler writes to the stderr pytest captures
    logging.getLogger(logger).warning("calling with token=%s and key %s", SECRET, KEY)
    try:
        raise RuntimeError(f"request failed for {KEY}")
    except RuntimeError:
        logging.getLogger(logger).exception("while polling")
    err = capsys.readouterr().err
    assert "calling with token=" in err and "while polling" in err  # the lines did reach the log
    assert SECRET not in err and KEY not in err


def _job(db, source_key: str, takes: int = 1):
    new = jobs_db.NewJob(
        channel_id="C1", team_id="T1", user_id="U1", kind="generate", model="kling-v3",
        backend="kling", request={"prompt": "a fox", "seconds": 5}, takes=takes,
        estimate_usd=0.84, source_key=source_key, title="a fox",
    )  # fmt: skip
    return jobs_db.create_job(db, new)


def test_failed_and_cancelled_takes_reserve_nothing(fresh_db):
    _, _, (failed,) = _job(fresh_db, "cmd:failed")
    jobs_db.update_take(fresh_db, failed, "submitting")
    jobs_db.update_take(fresh_db, failed, "failed")
    _, cancelled_job, (cancelled,) = _job(fresh_db, "cmd:cancelled")
    jobs_db.set_job_state(fresh_db, cancelled_job, "cancelled", "by U1", "cancelled")
    assert approvals.reserved(fresh_db, "T1", "C1") == 0.0
    _, _, (running,) = _job(fresh_db, "cmd:running")
    jobs_db.update_take(fresh_db, running, "rendering")
    assert approvals.reserved(fresh_db, "T1", "C1") == pytest.approx(0.84)


CHUNK = 64 * 1024
BODY = 48 * 1024 * 1024  # a large clip; the download may hold a few chunks of it, never all


async def test_the_provider_download_streams_in_bounded_memory(tmp_path):
    async def clip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "video/mp4", "Content-Length": str(BODY)})
        await response.prepare(request)
        block = b"\0" * CHUNK
        for _ in range(BODY // CHUNK):
            await response.write(block)
        return response

    app = web.Application()
    app.router.add_get("/clip.mp4", clip)
    runner, base = await serve(app)
    try:
        async with httpx.AsyncClient() as client:
            tracemalloc.start()
            try:
                size = await stream_to_file(
                    client, f"{base}/clip.mp4", tmp_path / "clip.mp4", backend="kling"
                )
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    finally:
        await runner.cleanup()
    assert size == BODY and (tmp_path / "clip.mp4").stat().st_size == BODY
    # the stand-in server shares the process, so its buffers count too (about 1 MB measured): a
    # whole-body read would peak above the 48 MB body
    assert peak < 32 * CHUNK, f"peak {peak / 1e6:.1f} MB for a {BODY / 1e6:.0f} MB clip"
