"""Builds the Bolt app and the services behind it (store, providers, runner, cards, studio)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

import handlers
import handlers.installs
import handlers.rate_limits
from bot.cards.publisher import CardFacts, CardPublisher, SlackPacing
from bot.cards.thread_notes import ThreadNotes
from bot.config import Config
from bot.delivery.contact_sheets import ContactSheets
from bot.delivery.fetch_back import FetchBack
from bot.delivery.handover import Handover
from bot.delivery.workflow_steps import StepCompletion
from bot.install.flow import Installs, installs
from bot.install.retention import Retention
from bot.install.tokens import WorkspaceTokens
from bot.install.uninstall import Uninstalls
from bot.media.provenance import Labeller
from bot.providers.base import Provider
from bot.providers.chat import chat_client
from bot.providers.registry import build_providers
from bot.request.catalogue import Catalogue, load_catalogue
from bot.runner.cutting import Cutting
from bot.runner.job_runner import JobRunner, Reporting
from bot.runner.model_watch import ModelWatch
from bot.runner.spec import intake_spec
from bot.screening.routes import ScreeningRoom, room_links, room_slack, screening_room
from bot.slack.budget import SlackBudget, Tier
from bot.slack.clients import SlackClients
from bot.slack.identity import BotIdentity
from bot.slack.inbox import EventInbox
from bot.slack.scopes import SCOPES
from bot.slack.shared_buckets import SharedBuckets
from bot.studio.avatar import Avatars
from bot.studio.campaigns import Campaigns
from bot.studio.cancel import Cancellation
from bot.studio.clip_subject import ClipSubjects
from bot.studio.consent import Consents
from bot.studio.cuts import Cuts
from bot.studio.decisions import Decisions
from bot.studio.forms import Forms, Submissions
from bot.studio.inputs import Inputs
from bot.studio.intake import Intake, Telling
from bot.studio.intent_reader import IntentReader
from bot.studio.lipsync import LipSyncs
from bot.studio.new_video import NewVideo
from bot.studio.reports import Reports
from bot.studio.routes import Routes
from bot.studio.share import Shares
from bot.studio.start import Starter
from bot.studio.studio import Keeping, Making, Reviewing, Studio
from bot.studio.subjects import Library
from bot.studio.thread_jobs import ThreadJobs
from bot.studio.thread_talk import ThreadTalk
from bot.studio.video_inputs import VideoInputs
from bot.studio.voices import VoiceSamples
from bot.studio.workflow_steps import WorkflowSteps
from storage import jobs as jobs_db
from storage.db import Store
from storage.engines import connect


@dataclass(frozen=True)
class SlackSide:
    """How Dailies speaks Slack: Bolt's app, the clients over one budget, and by mode who the bot is
    (one workspace), each workspace's token (distribution) or the budget's shared buckets (replicas)."""

    app: AsyncApp
    clients: SlackClients
    identity: BotIdentity | None = None  # who the bot is, asked once at start-up
    tokens: WorkspaceTokens | None = None  # distribution mode: each workspace's token
    buckets: SharedBuckets | None = None  # several replicas: the Slack budget in the database
    retention: Retention | None = None  # distribution mode: a removed workspace's data purged
    inbox: EventInbox | None = None  # Events API deliveries stored before they are acknowledged


@dataclass(frozen=True)
class Services:
    """What does the work: the providers, the card publisher, the runner, the studio and the
    screening room (when DAILIES_PUBLIC_URL is set)."""

    providers: dict[str, Provider]
    cards: CardPublisher
    runner: JobRunner
    studio: Studio
    screening: ScreeningRoom | None = None
    models: ModelWatch | None = None  # the backends' model lists, read at start and hourly
    sheets: ContactSheets | None = None  # campaigns' contact sheets: swept for ones due, retried


@dataclass
class Dailies:
    config: Config
    store: Store
    http: httpx.AsyncClient
    slack: SlackSide
    services: Services
    _background: list[asyncio.Task] = field(default_factory=list, init=False)

    # the parts most callers reach for, one step away
    @property
    def app(self) -> AsyncApp:
        return self.slack.app

    @property
    def client(self) -> AsyncWebClient:
        return self.slack.clients.durable

    @property
    def tokens(self) -> WorkspaceTokens | None:
        return self.slack.tokens

    @property
    def providers(self) -> dict[str, Provider]:
        return self.services.providers

    @property
    def cards(self) -> CardPublisher:
        return self.services.cards

    @property
    def runner(self) -> JobRunner:
        return self.services.runner

    @property
    def studio(self) -> Studio:
        return self.services.studio

    @property
    def screening(self) -> ScreeningRoom | None:
        return self.services.screening

    @property
    def retention(self) -> Retention | None:
        return self.slack.retention

    async def start(self) -> None:
        if self.tokens is not None:
            await self.tokens.seal_stored()  # before any token is used: plaintext or old-key rows
        if self.services.models is not None:
            await self.services.models.refresh()  # before any request: never send a dropped id
            self._background.append(
                asyncio.create_task(self.services.models.keep_watching(), name="model-lists")
            )
        await self.runner.start()
        if self.studio.workflow_steps is not None:
            self.studio.workflow_steps.start_sweep()  # steps a restart left open
        if self.slack.identity is not None:
            await self.slack.identity.prime()
        if self.tokens is not None:
            self._background.append(asyncio.create_task(self.tokens.keep_fresh(), name="slack-tokens"))
        if self.retention is not None:
            self._background.append(asyncio.create_task(self.retention.keep_sweeping(), name="retention"))
        if self.slack.inbox is not None:
            self.slack.inbox.start()  # events a stopped replica left in the inbox
        if self.services.sheets is not None:
            self.services.sheets.start()  # contact sheets a restart left due

    async def close(self) -> None:
        await self.cards.drain(timeout=5.0)  # let pending card edits land before stopping
        if self.slack.inbox is not None:
            await self.slack.inbox.close()
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.runner.stop()
        if self.services.sheets is not None:  # after the runner: a take ending as it stops may add a retry
            await self.services.sheets.close()
        if self.studio.workflow_steps is not None:
            await self.studio.workflow_steps.stop()
        await self.slack.clients.budget.close()
        if self.slack.buckets is not None:
            self.slack.buckets.close()
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
        # Bolt's annotation says AuthorizeResult, but its AsyncCallableAuthorize takes None as "not
        # installed" (slack_bolt/authorization/async_authorize.py), which is what ours answers
        authorize=authorize,  # type: ignore[arg-type]
        installation_store=flow.settings.installation_store,
        user_facing_authorize_error_message=NOT_INSTALLED,
        logger=logger,
    )
    return app, None


@dataclass(frozen=True)
class RunnerHooks:
    """What the studio asks of the runner and the delivery side: wake it for new work, stop a job,
    repaint a card, and settle a Workflow Builder step when its job ends."""

    cards: CardPublisher
    wake: Callable[[], None]
    cancel_job: Callable[[int], Awaitable[None]]
    completion: StepCompletion


def build_studio(
    config: Config,
    store: Store,
    providers: dict[str, Provider],
    runner: RunnerHooks,
    clients: SlackClients,
    catalogue: Catalogue,
    *,
    slack_file_hosts: tuple[str, ...],
    intent: IntentReader | None = None,
) -> Studio:
    """The studio's features, each given only the collaborators it uses."""
    media = Path(config.media_dir)
    token, private = config.slack_bot_token, config.allow_private_urls
    routes = Routes(config, providers, catalogue)
    telling = Telling(runner.cards, ThreadNotes(clients.interactive))
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
        if provider is None:
            return None
        spec = intake_spec(new.model, new.request)
        # every feature's last check: a model its backend stopped listing since the plan was made
        availability = routes.availability(new.backend, new.model, spec.mode)
        if not availability.ok:
            hint = f" Try `--model {availability.suggestion}`." if availability.suggestion else ""
            return f"`{new.model}` can't run here: {availability.reason}.{hint}"
        return provider.refusal(spec)

    intake = Intake(store, routes, library, inputs, Starter(store, runner.cards, runner.wake, refusal))

    async def stop_job(job_id: int) -> None:
        await runner.cancel_job(job_id)
        await runner.completion.job_ended(job_id)

    cancellation = Cancellation(store, telling.cards, telling.notes, stop_job)
    consents = Consents(store, cancellation)
    clip_subjects = ClipSubjects(store, library, telling.notes, fetch_back, media)
    lip_syncs = LipSyncs(intake, telling.cards, consents)
    cuts = Cuts(store, telling.cards, runner.wake)
    thread_jobs = ThreadJobs(intake, fetch_back, telling.cards, clip_subjects, lip_syncs, intent, cuts)
    new_video = NewVideo(intake, videos)
    forms = Forms(store, routes, Submissions(new_video, thread_jobs, clip_subjects), telling.notes)
    campaigns = Campaigns(
        store, routes, new_video, inputs, telling.cards, wake=runner.wake, models=forms.model_choices
    )
    making = Making(
        new_video,
        Avatars(intake, consents),
        thread_jobs,
        forms=forms,
        workflow_steps=WorkflowSteps(store, new_video, runner.completion),
        shares=Shares(store, fetch_back, telling.cards, runner.wake, media),
        campaigns=campaigns,
    )
    reviewing = Reviewing(
        Decisions(store, telling, runner.wake, cancellation, thread_jobs),
        cancellation,
        ThreadTalk(store, thread_jobs, telling.notes, telling.cards),
    )
    keeping = Keeping(Reports(store, routes), library, consents, VoiceSamples(store, inputs, media, consents))
    return Studio(store, routes, making, reviewing, keeping)


def _backend_label(providers: dict[str, Provider], backend: str, model: str) -> tuple[str, str]:
    """(how the card names the backend, its note about rendering `model`), asked of the provider."""
    provider = providers.get(backend)
    if provider is None:
        return backend, ""
    return provider.label or backend, provider.card_note(model)


def build(config: Config, *, slack_file_hosts: tuple[str, ...] = ("files.slack.com",)) -> Dailies:
    """Everything wired, nothing started. Raises CatalogueError for a bad DAILIES_MODELS_FILE and
    StorageError for an unusable database."""
    # the shipped models, with DAILIES_MODELS_FILE and KLING_4_MODEL_NAMES over them; checked first
    catalogue = load_catalogue(config.models_file, config.kling_4_model_names)
    store = Store(connect(config.db_path, database_url=config.database_url))
    http = httpx.AsyncClient(timeout=httpx.Timeout(30.0), follow_redirects=True)
    oauth = installs(config, store, SCOPES) if config.distribution else None
    tokens = oauth[1] if oauth else None
    buckets = shared_buckets(config, store)
    clients = slack_clients(config, tokens, buckets)
    client = clients.durable
    app, identity = bolt_app(config, client, oauth)
    providers = build_providers(config, http, catalogue)
    # background work waits out a database outage and carries on; a person's request fails fast
    background = store.patient()
    links = room_links(config)
    pacing = SlackPacing(clients.budget, clients.team, clients.serving)
    facts = CardFacts(
        typical_seconds=lambda model: getattr(catalogue.get(model), "typical_seconds", 0),
        backend_label=lambda backend, model: _backend_label(providers, backend, model),
        screening_link=links.card_link if links is not None else None,
    )
    cards = CardPublisher(
        client, background, interval=config.card_interval_seconds, pacing=pacing, facts=facts
    )
    # a Workflow Builder step completes with its job
    completion = StepCompletion(client, store, clients.serving)
    labeller = Labeller(config.c2pa_cert, config.c2pa_key)  # every clip says it is AI-generated
    # campaigns' contact sheets
    sheets = ContactSheets(client, http, background, cards, Path(config.media_dir), clients.serving)
    handover = Handover(
        client, http, keep_media=config.keep_media, job_ended=completion.job_ended, labeller=labeller,
        sheets=sheets,
    )  # fmt: skip
    models = ModelWatch(store, providers, catalogue, config)
    cutting = Cutting(
        handover,
        FetchBack(client, background, media_dir=config.media_dir, token=config.slack_bot_token,
                  slack_file_hosts=slack_file_hosts),
        Path(config.media_dir),
        url_seconds=lambda backend: getattr(providers.get(backend), "result_url_seconds", None),
        allow_private=config.allow_private_urls, keep_media=config.keep_media,
    )  # fmt: skip
    runner = JobRunner(
        config, background, providers, Reporting(handover, cards, clients.serving), models, cutting
    )
    hooks = RunnerHooks(cards, runner.wake, runner.cancel_job, completion)
    # DAILIES_INTENT_MODEL: a chat model on whichever of the AI/ML API and the Gemini API has a key
    chat = chat_client(
        http, config.intent_model, aimlapi=(config.aimlapi_api_key, config.aimlapi_base_url),
        gemini=(config.gemini_api_key, config.gemini_base_url),
    )  # fmt: skip
    studio = build_studio(
        config, store, providers, hooks, clients, catalogue, slack_file_hosts=slack_file_hosts,
        intent=IntentReader(store, chat) if chat else None,
    )  # fmt: skip
    handlers.rate_limits.register(app, clients)
    retention = Retention(store, config.retention_days, config.media_dir) if tokens is not None else None
    if retention is not None and app.installation_store is not None:  # both set in distribution mode
        uninstalls = Uninstalls(store, app.installation_store, runner.cancel_job, retention)
        handlers.installs.register(app, uninstalls)
    room = screening_room(
        config, links, studio, store, room_slack(config, client, http, slack_file_hosts, clients.serving)
    )
    handlers.register(app, studio, room)
    inbox = EventInbox(store, app)
    inbox.attach()  # after handlers.register: it wraps the app's error handler
    return Dailies(
        config,
        store,
        http,
        SlackSide(app, clients, identity, tokens, buckets, retention, inbox),
        Services(providers, cards, runner, studio, room, models, sheets),
    )
