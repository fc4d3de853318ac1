"""`python -m bench.standins`: the Slack and Kling stand-ins in their own process, so a benchmark
measures the bot and not the stand-ins competing with it for the event loop and CPU."""

from __future__ import annotations

import asyncio
import json
import sys

from aiohttp import web

from bench.stack import BenchKling, BenchSlack


async def _stats(slack: BenchSlack, kling: BenchKling) -> dict:
    return {
        "posts": slack.count("chat.postMessage"),
        "updates": slack.count("chat.update"),
        "creates": len(kling.creates),
        "polls": kling.polls,
    }


async def main() -> None:
    """Start both stand-ins and a stats endpoint; print their addresses; run until stdin closes."""
    slack, kling = BenchSlack(), BenchKling()
    await slack.start()
    await kling.start()

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(await _stats(slack, kling))

    app = web.Application()
    app.router.add_get("/stats", stats)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(
        json.dumps(
            {
                "slack_api_url": slack.api_url,
                "slack_base_url": slack.base_url,
                "kling_url": kling.url,
                "kling_key": kling.api_key,
                "stats_url": f"http://127.0.0.1:{port}/stats",
            }
        ),
        flush=True,
    )
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # the bench closes our stdin to stop us
    await runner.cleanup()
    await kling.close()
    await slack.stop()


if __name__ == "__main__":
    asyncio.run(main())
