"""`dailies doctor`: check Slack, each configured backend and the database, and say how to fix."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import replace
from pathlib import Path

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import build
from bot.config import HOW_TO_GET, Config
from bot.media.credentials import CredentialsError, describe, load_credentials
from bot.outcomes import Refusal
from bot.providers.contracts import shape_sources
from bot.providers.errors import ProviderError
from bot.providers.http import backend_name
from bot.request.intent import SCHEMA, SCHEMA_NAME, SYSTEM_PROMPT, read_answer, user_message
from bot.screening.signin import CALLBACK_PATH as SIGN_IN_CALLBACK
from bot.slack.scopes import SCOPES
from bot.studio.intent_reader import IntentReader
from storage import installations
from storage.db import Store
from storage.health import check_writable


def shape_lines(backend: str) -> list[str]:
    """Which of `backend`'s request shapes are verified against a published schema, and which
    rest on documentation only. Pure."""
    sources = shape_sources(backend)
    if sources is None:
        return []
    lines = []
    if sources.published:
        lines.append(
            f"{backend}: {len(sources.published)} request shapes verified against a published schema "
            f"({sources.source}): {', '.join(sources.published)}"
        )
    if sources.documented:
        where = "" if sources.published else f" ({sources.source})"
        lines.append(f"{backend}: on documentation only{where}: {', '.join(sources.documented)}")
    return lines


async def sign_in_checks(config: Config, ok: list[str], problems: list[str]) -> None:
    """Sign in with Slack for the screening room: its credentials (distribution mode checks them
    already), the public URL it returns to, and the redirect URL the app must list."""
    if not config.public_base_url:
        ok.append(
            "SLACK_CLIENT_ID is set but DAILIES_PUBLIC_URL is not: no screening room, so no Sign in with Slack"
        )
        return
    if not config.distribution:  # the same made-up-code test as for installs, on the sign-in method
        try:
            await AsyncWebClient(base_url=config.slack_api_url).openid_connect_token(
                client_id=config.slack_client_id,
                client_secret=config.slack_client_secret,
                code="dailies-doctor",
            )
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error in ("invalid_client_id", "bad_client_secret"):
                name = "SLACK_CLIENT_ID" if error == "invalid_client_id" else "SLACK_CLIENT_SECRET"
                problems.append(f"Slack refused {name} for Sign in with Slack: set it to {HOW_TO_GET[name]}.")
                return
        except Exception as exc:
            problems.append(f"Slack is not reachable at {config.slack_api_url} ({type(exc).__name__}).")
            return
    redirect = f"{config.public_base_url}{SIGN_IN_CALLBACK}"
    if not redirect.startswith("https://"):
        problems.append(
            f"DAILIES_PUBLIC_URL must be https for Sign in with Slack's redirect (got {redirect})."
        )
    else:
        ok.append(
            f"Sign in with Slack decides in the screening room; the app must list the redirect URL {redirect}"
        )


async def oauth_checks(config: Config, store: Store, ok: list[str], problems: list[str]) -> None:
    """Distribution mode: the app's credentials (Slack's answer to a made-up code tells a wrong
    client id or secret from a right one), the redirect URL, and the workspaces installed."""
    if not config.slack_signing_secret:
        problems.append(f"SLACK_SIGNING_SECRET is not set: set it to {HOW_TO_GET['SLACK_SIGNING_SECRET']}.")
    client = AsyncWebClient(base_url=config.slack_api_url)
    try:
        await client.oauth_v2_access(
            client_id=config.slack_client_id, client_secret=config.slack_client_secret, code="dailies-doctor"
        )
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error == "invalid_client_id":
            problems.append(
                f"Slack does not know SLACK_CLIENT_ID: set it to {HOW_TO_GET['SLACK_CLIENT_ID']}."
            )
        elif error == "bad_client_secret":
            problems.append(
                f"Slack refused SLACK_CLIENT_SECRET: set it to {HOW_TO_GET['SLACK_CLIENT_SECRET']}."
            )
        else:  # invalid_code: the credentials passed, only the made-up code did not
            ok.append("Slack accepts SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (distribution mode)")
    except Exception as exc:
        problems.append(f"Slack is not reachable at {config.slack_api_url} ({type(exc).__name__}).")
    if config.public_base_url:
        redirect = f"{config.public_base_url}/slack/oauth_redirect"
        if not redirect.startswith("https://"):
            problems.append(f"DAILIES_PUBLIC_URL must be https for Slack's OAuth redirect (got {redirect}).")
        else:
            ok.append(f"install link {config.public_base_url}/slack/install, redirect URL {redirect}")
    else:
        ok.append(
            "DAILIES_PUBLIC_URL is not set: Slack sends installs to the app's configured redirect URL "
            "(`dailies manifest --distribute --http-url URL` sets it)"
        )
    teams = await store.run(installations.installed_teams)
    if not teams:
        ok.append("no workspace has installed Dailies yet: share the install link")
    for team in teams:
        expires = team["bot_token_expires_at"]
        if expires is not None and expires < time.time() and not team["rotating"]:
            problems.append(
                f"the token of workspace {team['team_name'] or team['team_id']} expired: reinstall there."
            )
    if teams:
        names = ", ".join(t["team_name"] or t["team_id"] for t in teams)
        ok.append(f"installed in {len(teams)} workspace(s): {names}")


def c2pa_checks(config: Config, ok: list[str], problems: list[str]) -> None:
    """The C2PA signing certificate: within its dates, a chain (each signed by the next), and the key
    its leaf's. Without one, clips are still labelled AI-generated, only not signed."""
    if not config.c2pa_cert:
        ok.append(
            "C2PA signing is off (DAILIES_C2PA_CERT and DAILIES_C2PA_KEY not set): clips carry the "
            "AI-generated caption and metadata, without a signed manifest"
        )
        return
    try:
        credentials = load_credentials(config.c2pa_cert, config.c2pa_key)
    except CredentialsError as exc:
        problems.append(f"C2PA signing will fail, so clips are delivered unsigned: {exc}.")
        return
    line, warning = describe(credentials)
    ok.append(line)
    if warning:
        problems.append(warning)


async def intent_check(reader: IntentReader, ok: list[str], problems: list[str]) -> None:
    """DAILIES_INTENT_MODEL answers a plan: one short test call (a fraction of a cent), since a
    wrong model id would otherwise only show as the rules reading every reply."""
    where = f"DAILIES_INTENT_MODEL {reader.chat.model} on {backend_name(reader.chat.backend)}"
    try:
        answer = await asyncio.wait_for(
            reader.chat.json_answer(
                SYSTEM_PROMPT,
                user_message("make it vertical"),
                SCHEMA,
                name=SCHEMA_NAME,
                timeout=reader.budget,
            ),
            reader.budget,
        )
    except TimeoutError:
        problems.append(
            f"{where} did not answer within {reader.budget:g} s: the rules will read every reply."
        )
        return
    except ProviderError as exc:
        problems.append(f"{where} failed ({exc.message}): check the model id and the key's access to it.")
        return
    plan = read_answer(answer.text)
    if isinstance(plan, Refusal):
        problems.append(
            f"{where} answers no usable plan ({plan.message}): pick a model with structured output."
        )
    else:
        ok.append(f"thread replies are read by {where} ({answer.milliseconds} ms for a test reply)")


async def doctor(config: Config) -> int:
    problems: list[str] = []
    ok: list[str] = []
    shapes: list[str] = []  # what each backend's requests are checked against
    models: list[str] = []  # each model's state on each configured backend, from its model list
    # opens and migrates the database (StorageError if unusable); Bolt needs some token to build
    dailies = build(replace(config, slack_bot_token=config.slack_bot_token or "xoxb-not-set"))
    try:
        await dailies.store.run(check_writable)
        ok.append(f"database {config.database} is writable")
        media = Path(config.media_dir)
        media.mkdir(parents=True, exist_ok=True)
        if os.access(media, os.W_OK):
            ok.append(f"media folder {media} is writable")
        else:
            problems.append(
                f"DAILIES_MEDIA_DIR={media} is not writable: point it at a folder Dailies can write."
            )
        c2pa_checks(config, ok, problems)
        if config.distribution:
            await oauth_checks(config, dailies.store, ok, problems)
        elif not config.slack_bot_token:
            problems.append("SLACK_BOT_TOKEN is not set: `dailies try` works without it; Slack needs it.")
        else:
            try:
                resp = await dailies.client.auth_test()
                ok.append(f"Slack: connected as {resp.get('user')} in {resp.get('team')}")
                granted = set((resp.headers.get("x-oauth-scopes") or "").replace(" ", "").split(","))
                missing = [s for s in SCOPES if s not in granted] if granted != {""} else []
                if missing:
                    problems.append(
                        f"Slack app lacks scopes {', '.join(missing)}: update the app from `dailies manifest` and reinstall."
                    )
            except SlackApiError as exc:
                problems.append(
                    f"Slack rejected SLACK_BOT_TOKEN ({exc.response.get('error')}): copy it again."
                )
            except Exception as exc:
                problems.append(f"Slack is not reachable at {config.slack_api_url} ({type(exc).__name__}).")
        if config.slack_client_id and config.slack_client_secret:
            await sign_in_checks(config, ok, problems)
        for name, provider in dailies.providers.items():
            found = await provider.check()
            problems += found
            shapes += shape_lines(name)
            if not found:
                ok.append(
                    f"{provider.label or name} ready"
                    if provider.local
                    else f"backend {name} is reachable with its key"
                )
        if dailies.services.models is not None:
            await dailies.services.models.refresh(force=True)  # the backends' lists, read now
        for model, states in dailies.studio.routes.model_states().items():
            models += [f"{model} on {backend}: {state.describe()}" for backend, state in states.items()]
        if dailies.studio.thread_jobs.intent is not None:
            await intent_check(dailies.studio.thread_jobs.intent, ok, problems)
        routes = dailies.studio.model_routes()
        for model, (backend, avail) in routes.items():
            if not avail.ok:
                hint = f" Use {avail.suggestion} instead." if avail.suggestion else ""
                problems.append(f"model {model} is unavailable on {backend}: {avail.reason}.{hint}")
    finally:
        await dailies.close()
    for line in ok:
        print(f"ok: {line}")
    for line in problems:
        print(f"problem: {line}")
    for line in models:
        print(f"model: {line}")
    for line in shapes:
        print(f"shapes: {line}")
    return 1 if problems else 0
