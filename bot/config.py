"""Configuration, read once from the environment (and `.env`) into a frozen dataclass."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values


class ConfigError(Exception):
    """A missing or wrong setting; the message names the variable and how to fix it."""


HOW_TO_GET = {
    "SLACK_BOT_TOKEN": "the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page",
    "SLACK_APP_TOKEN": "an app-level token (xapp-…) with connections:write, from Basic Information",
    "SLACK_SIGNING_SECRET": "the Signing Secret from your app's Basic Information page",
    "SLACK_CLIENT_ID": "the Client ID from your app's Basic Information page (App Credentials)",
    "SLACK_CLIENT_SECRET": "the Client Secret from your app's Basic Information page (App Credentials)",
}


def _read_dotenv(path: Path) -> dict[str, str]:
    """The `.env` file's settings as written (no ${VAR} expansion: a secret may contain `$`); none
    when the file is missing; a bare `NAME` line sets nothing."""
    return {k: v for k, v in dotenv_values(path, interpolate=False).items() if v is not None}


def _number(env: Mapping[str, str], name: str, default, cast=float, what: str = "a number of seconds"):
    """A positive number from `name`, or `default` when unset; a clear ConfigError otherwise."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = cast(raw)
    except ValueError:
        raise ConfigError(f"{name} must be {what}, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than 0, got {raw!r}")
    return value


def _database_url(url: str) -> str:
    if url and not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            "DATABASE_URL must be a PostgreSQL URL (postgresql://user:password@host:5432/dbname); "
            "leave it unset to use the SQLite file in DAILIES_DB."
        )
    return url


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    return _number(env, name, default)


def _days(env: Mapping[str, str], name: str, default: float) -> float:
    """A number of days, 0 or more."""
    raw = env.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise ConfigError(f"{name} must be a number of days (0 or more), got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must be a number of days (0 or more), got {raw!r}")
    return value


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    return _number(env, name, default, int, "a whole number")


# how an operator makes a DAILIES_SECRET_KEY (a Fernet key)
MAKE_A_KEY = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'


@dataclass(frozen=True, repr=False)
class Config:
    slack_bot_token: str = ""
    slack_app_token: str = ""
    slack_signing_secret: str = ""
    slack_api_url: str = "https://slack.com/api/"
    # without SLACK_BOT_TOKEN: distribution mode (OAuth installs into many workspaces); with it (and
    # always): Sign in with Slack for the screening room
    slack_client_id: str = ""
    slack_client_secret: str = ""
    # DAILIES_SECRET_KEY: Fernet key(s) sealing stored workspace tokens; the first seals, all open
    secret_key: str = ""
    token_refresh_margin_seconds: float = 2 * 3600.0
    retention_days: float = 30.0  # DAILIES_RETENTION_DAYS: a removed workspace's data is kept this long  # rotating tokens are refreshed this long before expiry
    db_path: str = "./dailies.db"
    database_url: str = ""  # postgresql://…: PostgreSQL instead of the SQLite file (what replicas share)
    lease_seconds: float = 60.0  # a replica's claim on a running take, renewed while it runs
    model_list_seconds: float = 3600.0  # DAILIES_MODEL_LIST_SECONDS: how often backends' model lists are read
    media_dir: str = "./media"
    keep_media: bool = False
    poll_seconds: float = 5.0
    poll_ceiling_seconds: float = 60.0
    job_deadline_seconds: float = 30 * 60.0
    backend_concurrency: int = 4
    preview_scale: float = 1.0  # DAILIES_PREVIEW_SCALE: the local preview's frame size, 0.1 to 1
    aimlapi_api_key: str = ""
    aimlapi_base_url: str = "https://api.aimlapi.com"
    openai_api_key: str = ""
    openai_base_url: str = "https://api.openai.com/v1"
    openai_webhook_secret: str = ""
    kling_api_key: str = ""
    kling_access_key: str = ""
    kling_secret_key: str = ""
    kling_base_url: str = "https://api-singapore.klingai.com"
    kling_webhook_secret: str = ""
    # KLING_4_MODEL_NAMES: (our id, Kling's legacy model_name) for Kling 4.0, whose API is unconfirmed
    kling_4_model_names: tuple[tuple[str, str], ...] = ()
    models_file: str = ""  # DAILIES_MODELS_FILE: a TOML file over the shipped catalogue
    gemini_api_key: str = ""
    gemini_base_url: str = "https://generativelanguage.googleapis.com"
    intent_model: str = ""  # DAILIES_INTENT_MODEL: a chat model that reads thread replies; off when unset
    public_base_url: str = ""  # HTTP mode: where providers can reach /webhooks/* and /media/*
    review_secret: str = ""  # DAILIES_REVIEW_SECRET: signs screening-room links (else the signing secret)
    allow_private_urls: bool = False
    card_interval_seconds: float = 3.0
    # DAILIES_SLACK_RATES: (method, calls per minute, burst) overriding Slack's tiers in the budget
    slack_rates: tuple[tuple[str, float, float], ...] = ()
    # DAILIES_C2PA_CERT / DAILIES_C2PA_KEY: PEM chain and key paths; every delivered clip is signed
    c2pa_cert: str = ""
    c2pa_key: str = ""

    def __repr__(self) -> str:  # never print secrets
        return f"Config(database={self.database!r}, slack_api_url={self.slack_api_url!r})"

    @property
    def database(self) -> str:
        """Which database, without a password: for logs and reprs."""
        if self.database_url:
            return re.sub(r"//([^:/@]*):[^@]*@", r"//\1:***@", self.database_url)
        return self.db_path

    @property
    def distribution(self) -> bool:
        """Workspaces install Dailies through OAuth, each served with its own token."""
        return bool(self.slack_client_id and self.slack_client_secret and not self.slack_bot_token)

    @property
    def kling_configured(self) -> bool:
        return bool(self.kling_api_key or (self.kling_access_key and self.kling_secret_key))

    def secrets(self) -> tuple[str, ...]:
        """Every secret value, so log filters can mask them."""
        values = (
            self.slack_bot_token,
            self.slack_app_token,
            self.slack_signing_secret,
            self.slack_client_secret,
            self.aimlapi_api_key,
            self.openai_api_key,
            self.openai_webhook_secret,
            self.kling_api_key,
            self.kling_access_key,
            self.kling_secret_key,
            self.kling_webhook_secret,
            self.gemini_api_key,
            self.review_secret,
            *self.secret_key.split(","),
            urlsplit(self.database_url).password or "",
        )
        return tuple(v for v in values if v)

    def require_slack(self, mode: str) -> None:
        """What `dailies run` (Socket Mode) or `dailies serve` (HTTP) needs to talk to Slack: a bot
        token, except when workspaces install through OAuth, which only HTTP mode serves."""
        if mode == "run":
            if self.distribution:
                raise ConfigError(
                    "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set: workspaces install Dailies through "
                    "OAuth, which needs HTTP mode: run `dailies serve` (or unset them and set SLACK_BOT_TOKEN)."
                )
            self.require("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
        elif self.distribution:
            self.require("SLACK_SIGNING_SECRET")
        else:
            self.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")

    def require(self, *names: str) -> None:
        """Raise ConfigError naming the first missing variable among `names` (env names)."""
        for name in names:
            if not getattr(self, name.lower(), ""):
                how = HOW_TO_GET.get(name, "see README.md")
                raise ConfigError(f"{name} is not set: set it to {how}.")


def load_config(env: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Config:
    """Read the configuration once. Real environment variables win over `.env`."""
    merged: dict[str, str] = {}
    if dotenv is not None:
        merged.update(_read_dotenv(dotenv))
    merged.update(os.environ if env is None else env)
    env = merged

    def s(name: str, default: str = "") -> str:
        return env.get(name, "").strip() or default

    kling_access, kling_secret = s("KLING_ACCESS_KEY"), s("KLING_SECRET_KEY")
    if bool(kling_access) != bool(kling_secret):
        missing = "KLING_SECRET_KEY" if kling_access else "KLING_ACCESS_KEY"
        raise ConfigError(
            f"{missing} is not set: Kling's JWT auth needs both KLING_ACCESS_KEY and KLING_SECRET_KEY "
            "(from the Kling developer console), or set KLING_API_KEY instead."
        )
    client_id, client_secret = s("SLACK_CLIENT_ID"), s("SLACK_CLIENT_SECRET")
    if bool(client_id) != bool(client_secret):
        missing = "SLACK_CLIENT_SECRET" if client_id else "SLACK_CLIENT_ID"
        raise ConfigError(
            f"{missing} is not set: distribution mode and Sign in with Slack need both SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET (your app's Basic Information page, App Credentials), or neither."
        )
    # with SLACK_BOT_TOKEN too, the client id and secret serve only Sign in with Slack (the screening room)
    secret_key = s("DAILIES_SECRET_KEY")
    if client_id and not s("SLACK_BOT_TOKEN") and not secret_key:
        raise ConfigError(
            "DAILIES_SECRET_KEY is not set: distribution mode stores each workspace's tokens sealed with "
            f"it; make one with {MAKE_A_KEY} and keep it with your other secrets."
        )
    if s("DAILIES_INTENT_MODEL") and not (s("AIMLAPI_API_KEY") or s("GEMINI_API_KEY")):
        raise ConfigError(
            "DAILIES_INTENT_MODEL is set but neither AIMLAPI_API_KEY nor GEMINI_API_KEY is: the model that "
            "reads thread replies runs on one of them (e.g. google/gemini-3.5-flash-lite on the AI/ML API), "
            "or unset DAILIES_INTENT_MODEL to let the built-in rules read replies."
        )
    c2pa_cert, c2pa_key = _c2pa_files(s("DAILIES_C2PA_CERT"), s("DAILIES_C2PA_KEY"))
    api_url = s("SLACK_API_URL", "https://slack.com/api/")
    if not api_url.endswith("/"):
        api_url += "/"
    return Config(
        slack_bot_token=s("SLACK_BOT_TOKEN"),
        slack_app_token=s("SLACK_APP_TOKEN"),
        slack_signing_secret=s("SLACK_SIGNING_SECRET"),
        slack_api_url=api_url,
        slack_client_id=client_id,
        slack_client_secret=client_secret,
        secret_key=secret_key,
        retention_days=_days(env, "DAILIES_RETENTION_DAYS", 30.0),
        token_refresh_margin_seconds=_float(env, "DAILIES_TOKEN_REFRESH_MINUTES", 120.0) * 60,
        db_path=s("DAILIES_DB", "./dailies.db"),
        database_url=_database_url(s("DATABASE_URL")),
        lease_seconds=_float(env, "DAILIES_LEASE_SECONDS", 60.0),
        model_list_seconds=_float(env, "DAILIES_MODEL_LIST_SECONDS", 3600.0),
        media_dir=s("DAILIES_MEDIA_DIR", "./media"),
        keep_media=s("DAILIES_KEEP_MEDIA") in ("1", "true", "yes"),
        poll_seconds=_float(env, "DAILIES_POLL_SECONDS", 5.0),
        poll_ceiling_seconds=_float(env, "DAILIES_POLL_CEILING_SECONDS", 60.0),
        job_deadline_seconds=_float(env, "DAILIES_JOB_DEADLINE_SECONDS", 30 * 60.0),
        backend_concurrency=_int(env, "DAILIES_BACKEND_CONCURRENCY", 4),
        preview_scale=_preview_scale(env),
        aimlapi_api_key=s("AIMLAPI_API_KEY"),
        aimlapi_base_url=s("AIMLAPI_BASE_URL", "https://api.aimlapi.com").rstrip("/"),
        openai_api_key=s("OPENAI_API_KEY"),
        openai_base_url=s("OPENAI_BASE_URL", "https://api.openai.com/v1").rstrip("/"),
        openai_webhook_secret=s("OPENAI_WEBHOOK_SECRET"),
        kling_api_key=s("KLING_API_KEY"),
        kling_access_key=kling_access,
        kling_secret_key=kling_secret,
        kling_base_url=s("KLING_BASE_URL", "https://api-singapore.klingai.com").rstrip("/"),
        kling_webhook_secret=s("KLING_WEBHOOK_SECRET"),
        kling_4_model_names=_model_names(s("KLING_4_MODEL_NAMES")),
        models_file=s("DAILIES_MODELS_FILE"),
        gemini_api_key=s("GEMINI_API_KEY"),
        gemini_base_url=s("GEMINI_BASE_URL", "https://generativelanguage.googleapis.com").rstrip("/"),
        intent_model=s("DAILIES_INTENT_MODEL"),
        public_base_url=s("DAILIES_PUBLIC_URL").rstrip("/"),
        review_secret=s("DAILIES_REVIEW_SECRET"),
        allow_private_urls=s("DAILIES_ALLOW_PRIVATE_URLS") in ("1", "true", "yes"),
        card_interval_seconds=_float(env, "DAILIES_CARD_INTERVAL_SECONDS", 3.0),
        slack_rates=_rates(s("DAILIES_SLACK_RATES")),
        c2pa_cert=c2pa_cert,
        c2pa_key=c2pa_key,
    )


def _c2pa_files(cert: str, key: str) -> tuple[str, str]:
    """Both paths or neither, each a readable file (the contents are checked when signing and by
    `dailies doctor`)."""
    if bool(cert) != bool(key):
        missing = "DAILIES_C2PA_KEY" if cert else "DAILIES_C2PA_CERT"
        raise ConfigError(
            f"{missing} is not set: C2PA signing needs both DAILIES_C2PA_CERT (the PEM certificate chain, "
            "signing certificate first) and DAILIES_C2PA_KEY (its PEM private key), or neither."
        )
    for name, path in (("DAILIES_C2PA_CERT", cert), ("DAILIES_C2PA_KEY", key)):
        if path and not (os.path.isfile(path) and os.access(path, os.R_OK)):
            raise ConfigError(f"{name}={path} is not a readable file: point it at the PEM file.")
    return cert, key


def _preview_scale(env: Mapping[str, str]) -> float:
    scale = _number(env, "DAILIES_PREVIEW_SCALE", 1.0, what="a fraction of the asked frame size")
    if not 0.1 <= scale <= 1:
        raise ConfigError(
            f"DAILIES_PREVIEW_SCALE must be between 0.1 and 1 (0.25 draws a 720p preview at 320x180), got {scale:g}"
        )
    return scale


KLING_4_IDS = ("kling-4.0", "kling-4.0-flash")


def _model_names(text: str) -> tuple[tuple[str, str], ...]:
    """`kling-4.0=<model_name>,kling-4.0-flash=<model_name>`: Kling 4.0's slugs, named by the operator
    once Kling publishes them (none is assumed)."""
    pairs = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        model, _, name = (x.strip() for x in item.partition("="))
        if model not in KLING_4_IDS or not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", name):
            raise ConfigError(
                f"KLING_4_MODEL_NAMES has `{item[:60]}`: write `kling-4.0=<Kling's model_name>` (and/or "
                "`kling-4.0-flash=…`), with the model_name from Kling's API docs."
            )
        pairs.append((model, name))
    return tuple(pairs)


def _rates(text: str) -> tuple[tuple[str, float, float], ...]:
    """`chat.update=50/5,files.info=100`: calls a minute per method, and optionally the burst."""
    rates = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        method, _, value = item.partition("=")
        per_minute, _, burst = value.partition("/")
        try:
            rate = (method.strip(), float(per_minute), float(burst or max(1.0, float(per_minute) / 10)))
        except ValueError:
            rate = ("", 0.0, 0.0)
        if not rate[0] or rate[1] <= 0 or rate[2] < 1:
            raise ConfigError(
                f"DAILIES_SLACK_RATES must look like chat.update=50/5,files.info=100 "
                f"(calls a minute per method, optionally /burst), got {item!r}"
            )
        rates.append(rate)
    return tuple(rates)
