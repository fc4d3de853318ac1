"""Builds the Bolt app and the services behind it (store, providers, runner, cards, studio)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

import httpx
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

import handlers
import handlers.installs
import handlers.rate_limits
from bot.cards.publisher import CardPublisher
from bot.cards.thread_notes import ThreadNotes
from bot.config import Config
from bot.delivery.fetch_back import FetchBack
from bot.delivery.workflow_steps import StepCompletion
from bot.install.flow import Installs, installs
from bot.install.retention import Retention
from bot.install.tokens import WorkspaceTokens
from bot.install.uninstall import Uninstalls
from bot.providers.base import Provider
from bot.providers.registry import build_providers
from bot.request.catalogue import enable_kling_4, get_model
from bot.runner.job_runner import JobRunner
from bot.runner.spec import intake_spec
from bot.screening.routes import ScreeningRoom, screening_room
from bot.slack.budget import SlackBudget, Tier
from bot.slack.clients import SlackClients
from bot.slack.identity import BotIdentity
from bot.slack.shared_buckets import SharedBuckets
from bot.studio.avatar import Avatars
from bot.studio.cancel import Cancellation
from bot.studio.clip_subject import ClipSubjects
from bot.studio.decisions import Decisions
from bot.studio.forms import Forms
from bot.studio.inputs import Inputs
from bot.studio.lipsync import LipSyncs
from bot.studio.new_video import NewVideo
from bot.studio.reports import Reports
from bot.studio.routes import Routes
from bot.studio.start import Starter
from bot.studio.studio import Studio
from bot.studio.subjects import Library
from bot.studio.thread_jobs import ThreadJobs
from bot.studio.video_inputs import VideoInputs
from bot.studio.voices import VoiceSamples
from bot.studio.workflow_steps import WorkflowSteps
from bot.tools.manifest import SCOPES
from storage import jobs as jobs_db
from storage.db import Store, connect


@dataclass
class Dailies:
    config: Config
    store: Store
    http: httpx.AsyncClient
    client: AsyncWebClient
    app: AsyncApp
    providers: dict[str, Provider]
    cards: CardPublisher
    runner: JobRunner
    studio: Studio
    clients: SlackClients
    screening: ScreeningRoom | None = None  # the screening room, when DAILIES_PUBLIC_URL is set
    identity: BotIdentity | None = None  # who the bot is, asked once at start-up
    tokens: WorkspaceTokens | None = None  # distribution mode: each workspace's token
    buckets: SharedBuckets | None = None  # several replicas: the Slack budget in the database
    retention: Retention | None = None  # distribution mode: removed workspaces' data purged
    _refresher: asyncio.Task | None = None
    _sweeper: asyncio.Task | None = None

    async def start(self) -> None:
        if self.tokens is not None:
            await self.tokens.seal_stored()  # before any token is used: plaintext or old-key rows
        await self.runner.start()
        if self.studio.workflow_steps is not None:
            self.studio.workflow_steps.start_sweep()  # steps a restart left open
        if self.identity is not None:
            await self.identity.prime()
        if self.tokens is not None:
            self._refresher = asyncio.create_task(self.tokens.keep_fresh(), name="slack-tokens")
        if self.retention is not None:
            self._sweeper = asyncio.create_task(self.retention.keep_sweeping(), name="retention")

    async def close(self) -> None:
        await self.cards.drain(timeout=5.0)  # let pending card edits land before stopping
        for task in (self._refresher, self._sweeper):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await self.runner.stop()
        if self.studio.workflow_steps is not None:
            await self.studio.workflow_steps.stop()
        await self.clients.budget.close()
        if self.buckets is not None:
            self.buckets.close()
        for provider in self.providers.values():
            await provider.aclose()
        await self.http.aclose()
        self.store.close()


def slack_clients(
    config: Config, tokens: WorkspaceTokens | None = None, buckets: SharedBuckets | None = None
) -> SlackClients:
    """The bot's Slack clients over one budget, sized from Slack's tiers and DAILIES_SLACK_RATES;
    in distribution mode without a token of their own (each call takes its workspace's)."""
    rates = {method: Tier(per_minute, burst) for method, per_minute, burst in config.slack_rates}
    budget = SlackBudget(rates, store=buckets)
    return SlackClients(
        token=config.slack_bot_token, base_url=config.slack_api_url, budget=budget, tokens=tokens
    )


def shared_buckets(config: Config, store: Store) -> SharedBuckets | None:
    """On PostgreSQL (several replicas) the Slack budget lives in the database, on a connection of
    its own; one process on SQLite sees every call it makes and keeps its budget in memory."""
    if not config.database_url:
        return None
    # quiet: the replica's main store already logs the database going away and coming back
    budget_store = Store(connect(database_url=config.database_url), replica=store.replica, quiet=True)
    return SharedBuckets(budget_store)


NOT_INSTALLED = (
    "Dailies isn't installed in this workspace (or it was removed), so nothing was started. "
    "Ask a workspace admin to install it again from its install link."
)


def bolt_app(
    config: Config, client: AsyncWebClient, oauth: Installs | None
) -> tuple[AsyncApp, BotIdentity | None]:
    """Bolt's app: one workspace's bot token (asked `auth.test` once), or in distribution mode
    the OAuth flow with each workspace's installation as its authorization."""
    logger = logging.getLogger("dailies.bolt")
    signing_secret = config.slack_signing_secret or None
    if oauth is None:
        identity = BotIdentity(client)
        app = AsyncApp(
            client=identity.app_client(),
            authorize=identity.hook(),
            signing_secret=signing_secret,
            logger=logger,
        )
        return app, identity
    flow, _tokens, authorize = oauth
    app = AsyncApp(
        client=AsyncWebClient(base_url=config.slack_api_url, retry_handlers=client.retry_handlers),
        signing_secret=signing_secret,
        oauth_flow=flow,
        authorize=authorize,
        installation_store=flow.settings.installation_store,
        user_facing_authorize_error_message=NOT_INSTALLED,
        logger=logger,
    )
    return app, None


def build_studio(
    config: Config,
    store: Store,
    providers: dict[str, Provider],
    runner: JobRunner,
    cards: CardPublisher,
    clients: SlackClients,
    *,
    slack_file_hosts: tuple[str, ...],
) -> Studio:
    """The studio's features, each given only the collaborators it uses."""
    media = Path(config.media_dir)
    token, private = config.slack_bot_token, config.allow_private_urls
    routes = Routes(config, providers)
    notes = ThreadNotes(clients.interactive)
    library = Library(store, media, token=token, allow_private=private, slack_file_hosts=slack_file_hosts)
    inputs = Inputs(media / "inputs", token=token, allow_private=private, slack_file_hosts=slack_file_hosts)
    videos = VideoInputs(
        media / "inputs", token=token, slack_file_hosts=slack_file_hosts, allow_private=private
    )
    fetch_back = FetchBack(
        clients.durable, store, media_dir=media, token=token, slack_file_hosts=slack_file_hosts
    )

    def refusal(new: jobs_db.NewJob) -> str | None:
        provider = providers.get(new.backend)
        return provider.refusal(intake_spec(new.model, new.request)) if provider else None

    starter = Starter(store, cards, runner.wake, refusal)
    completion = StepCompletion(clients.durable, store, clients.serving)
    runner.handover.job_ended = completion.job_ended  # a Workflow Builder step completes with its job

    async def stop_job(job_id: int) -> None:
        await runner.cancel_job(job_id)
        await completion.job_ended(job_id)

    cancellation = Cancellation(store, cards, notes, stop_job)
    clip_subjects = ClipSubjects(store, library, notes, fetch_back, media)
    lip_syncs = LipSyncs(store, routes, library, inputs, starter, cards)
    thread_jobs = ThreadJobs(
        store, routes, library, inputs, fetch_back, starter, cards, clip_subjects, lip_syncs
    )
    new_video = NewVideo(store, routes, library, inputs, videos, starter)
    return Studio(
        store,
        routes,
        new_video=new_video,
        avatars=Avatars(routes, library, inputs, starter),
        thread_jobs=thread_jobs,
        decisions=Decisions(store, cards, notes, runner.wake, cancellation, thread_jobs),
        cancellation=cancellation,
        reports=Reports(store, routes),
        library=library,
        voices=VoiceSamples(store, inputs, media),
        forms=Forms(store, routes, new_video, thread_jobs, clip_subjects, notes),
        workflow_steps=WorkflowSteps(store, new_video, completion),
    )


def _backend_label(providers: dict[str, Provider], backend: str, model: str) -> tuple[str, str]:
    """(how the card names the backend, its note about rendering `model`), asked of the provider."""
    provider = providers.get(backend)
    if provider is None:
        return backend, ""
    return provider.label or backend, provider.card_note(model)


def build(config: Config, *, slack_file_hosts: tuple[str, ...] = ("files.slack.com",)) -> Dailies:
    """Everything wired, nothing started. Raises StorageError for an unusable database."""
    store = Store(connect(config.db_path, database_url=config.database_url))
    http = httpx.AsyncClient(timeout=httpx.Timeout(30.0), follow_redirects=True)
    oauth = installs(config, store, SCOPES) if config.distribution else None
    tokens = oauth[1] if oauth else None
    buckets = shared_buckets(config, store)
    clients = slack_clients(config, tokens, buckets)
    client = clients.durable
    app, identity = bolt_app(config, client, oauth)
    # Kling 4.0 joins the catalogue only under the slugs the operator named (KLING_4_MODEL_NAMES)
    enable_kling_4(model for model, _name in config.kling_4_model_names)
    providers = build_providers(config, http)
    # background work waits out a database outage and carries on; a person's request fails fast
    background = store.patient()
    cards = CardPublisher(
        client,
        background,
        interval=config.card_interval_seconds,
        typical_seconds=lambda model: getattr(get_model(model), "typical_seconds", 0),
        backend_label=lambda backend, model: _backend_label(providers, backend, model),
        serving=clients.serving,
    )
    runner = JobRunner(config, background, providers, client, cards, http, serving=clients.serving)
    studio = build_studio(config, store, providers, runner, cards, clients, slack_file_hosts=slack_file_hosts)
    handlers.rate_limits.register(app, clients)
    retention = Retention(store, config.retention_days, config.media_dir) if tokens is not None else None
    if retention is not None:
        handlers.installs.register(
            app, Uninstalls(store, app.installation_store, runner.cancel_job, retention)
        )
    room = screening_room(config, studio, store, client, http, slack_file_hosts, serving=clients.serving)
    if room is not None:
        cards.screening_link = room.watch_link
    handlers.register(app, studio, room)
    return Dailies(
        config,
        store,
        http,
        client,
        app,
        providers,
        cards,
        runner,
        studio,
        clients,
        room,
        identity=identity,
        tokens=tokens,
        buckets=buckets,
        retention=retention,
    )
