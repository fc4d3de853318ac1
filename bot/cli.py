"""The `dailies` console script: try, run, serve, manifest, doctor, models."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import signal
import sys

from bot.config import ConfigError, load_config
from storage.db import StorageError

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dailies", description="An AI video studio inside Slack.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_try = sub.add_parser("try", help="run one /video request end to end without Slack")
    p_try.add_argument("text", help='what you would type after /video, e.g. "a red fox in the snow"')
    p_run = sub.add_parser("run", help="connect to Slack in Socket Mode")
    p_run.add_argument("--host", default="0.0.0.0", help="the screening room's address")
    p_run.add_argument("--port", type=int, default=3000, help="the screening room's port")
    p_serve = sub.add_parser("serve", help="serve Slack's request URL over HTTP")
    p_serve.add_argument("--host", default="0.0.0.0")
    p_serve.add_argument("--port", type=int, default=3000)
    p_manifest = sub.add_parser("manifest", help="print the Slack app manifest")
    p_manifest.add_argument("--http-url", default=None, help="public base URL for HTTP mode")
    p_manifest.add_argument(
        "--distribute",
        action="store_true",
        help="for many workspaces installing through OAuth (needs --http-url)",
    )
    p_manifest.add_argument(
        "--public-url",
        default=None,
        help="the screening room's DAILIES_PUBLIC_URL (default: --http-url): adds Sign in with Slack's "
        "redirect URL and user scopes",
    )
    sub.add_parser("doctor", help="check the configuration")
    p_purge = sub.add_parser("purge", help="delete everything a workspace owns now (distribution mode)")
    p_purge.add_argument("--team", required=True, help="the workspace id (T…)")
    p_purge.add_argument("--force", action="store_true", help="also while the workspace still has Dailies")
    sub.add_parser("models", help="list the model catalogue and where each model runs here")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(_dispatch(args)) if args.command != "manifest" else _manifest(args)
    except (ConfigError, StorageError) as exc:
        print(f"dailies: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _manifest(args) -> int:
    from bot.tools.manifest import manifest_yaml

    if args.distribute and not args.http_url:
        print(
            "dailies: --distribute needs --http-url: the public https URL where `dailies serve` answers",
            file=sys.stderr,
        )
        return 2
    sys.stdout.write(manifest_yaml(args.http_url, distribute=args.distribute, public_url=args.public_url))
    return 0


async def _dispatch(args) -> int:
    from bot.logs import setup_logging

    config = load_config()
    setup_logging(
        config.secrets(), logging.WARNING if args.command in ("try", "models", "doctor") else logging.INFO
    )
    if args.command == "try":
        from bot.tools.trial import run_try

        return await run_try(config, args.text)
    if args.command == "models":
        return await _models(config)
    if args.command == "doctor":
        from bot.tools.doctor import doctor

        return await doctor(config)
    if args.command == "purge":
        return await _purge(config, args.team, args.force)
    if args.command == "run":
        return await _socket_mode(config, args.host, args.port)
    return await _serve(config, args.host, args.port)


async def _models(config) -> int:
    from bot.app import build
    from bot.cards import answers

    # `models` never talks to Slack, but Bolt needs some token to build
    dailies = build(dataclasses.replace(config, slack_bot_token=config.slack_bot_token or "xoxb-not-set"))
    try:
        for problem in await _provider_checks(dailies):
            print(f"note: {problem}", file=sys.stderr)
        if dailies.services.models is not None:
            await dailies.services.models.refresh(force=True)  # the backends' lists, read now
        routes = dailies.studio.routes
        print(
            answers.models_table(
                answers.model_rows(routes.model_routes(), routes.catalogue, routes.model_states())
            )
        )
    finally:
        await dailies.close()
    return 0


async def _purge(config, team_id: str, force: bool) -> int:
    from bot.install.retention import Retention
    from storage import installations
    from storage.db import Store
    from storage.engines import connect

    store = Store(connect(config.db_path, database_url=config.database_url))
    try:
        installed = None if force else await store.run(installations.find_installation, team_id)
        if installed:
            print(
                f"dailies: {team_id} still has Dailies installed: remove the app from that workspace "
                "first (its data is then purged after DAILIES_RETENTION_DAYS), or pass --force",
                file=sys.stderr,
            )
            return 2
        counts = await Retention(store, 0, config.media_dir).purge(team_id)
    finally:
        store.close()
    done = ", ".join(f"{n} {table}" for table, n in counts.items())
    print(f"purged {team_id}: {done}" if done else f"nothing stored for {team_id}")
    return 0


async def _provider_checks(dailies) -> list[str]:
    problems = []
    for provider in dailies.providers.values():
        if not provider.local:  # a local renderer needs no answer from anywhere
            problems += await provider.check()
    return problems


async def _check_backends(dailies) -> None:
    """Ask each backend once at startup, so a retired model is refused before any job is made."""
    try:
        problems = await asyncio.wait_for(_provider_checks(dailies), timeout=20)
    except TimeoutError:
        problems = ["a backend did not answer its startup check within 20 s; jobs will still try it"]
    for problem in problems:
        log.warning("backend check: %s", problem)


async def _until_stopped() -> None:
    """Wait for SIGTERM or SIGINT, so shutdown runs the cleanup (cards drained, database closed).
    Jobs in flight are not lost either way: they resume from the database on the next start."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("Dailies is stopping")


async def _socket_mode(config, host: str = "0.0.0.0", port: int = 3000) -> int:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from bot.app import build

    config.require_slack("run")
    dailies = build(config)
    await dailies.start()
    await _check_backends(dailies)
    handler = AsyncSocketModeHandler(dailies.app, app_token=config.slack_app_token)
    site = None
    try:
        log.info("Dailies is connecting to Slack (Socket Mode)")
        await handler.connect_async()
        site = await _screening_beside(dailies, host, port)
        await _until_stopped()
    finally:
        await handler.close_async()
        if site is not None:
            await site.cleanup()
        await dailies.close()
    return 0


async def _screening_beside(dailies, host: str, port: int):
    """Socket Mode needs no HTTP server, but the screening room does: a small one, when linked."""
    if dailies.screening is None:
        return None
    from aiohttp import web

    from bot.server import screening_app

    runner = web.AppRunner(screening_app(dailies))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("Screening room on http://%s:%s/review/…", host, port)
    return runner


async def _serve(config, host: str, port: int) -> int:
    from aiohttp import web

    from bot.app import build
    from bot.server import web_app

    config.require_slack("serve")
    dailies = build(config)
    await dailies.start()
    await _check_backends(dailies)
    runner = web.AppRunner(web_app(dailies))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("Dailies is serving http://%s:%s/slack/events", host, port)
    try:
        await _until_stopped()
    finally:
        await runner.cleanup()
        await dailies.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
