"""Configuration: read once from the environment and .env, errors name the variable."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_config
from bot.providers.registry import configured


def test_defaults_are_the_embedded_ones():
    config = load_config({}, dotenv=None)
    assert config.db_path == "./dailies.db" and config.media_dir == "./media"
    assert config.slack_api_url == "https://slack.com/api/"
    assert config.poll_seconds == 5.0
    assert configured(config) == ("preview",)
    assert not config.allow_private_urls


def test_dotenv_is_read_and_the_environment_wins(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        '# a comment\nexport DAILIES_DB="/data/d.db"\nKLING_API_KEY=k-from-file\nDAILIES_POLL_SECONDS=9\n'
    )
    config = load_config({"DAILIES_POLL_SECONDS": "2"}, dotenv=dotenv)
    assert config.db_path == "/data/d.db"
    assert config.poll_seconds == 2.0
    assert configured(config) == ("kling", "preview")


def test_slack_api_url_gets_its_trailing_slash():
    assert load_config({"SLACK_API_URL": "http://127.0.0.1:9/api"}, dotenv=None).slack_api_url.endswith(
        "/api/"
    )


@pytest.mark.parametrize(
    "env, named",
    [
        ({"DAILIES_POLL_SECONDS": "soon"}, "DAILIES_POLL_SECONDS must be a number"),
        ({"DAILIES_POLL_SECONDS": "0"}, "DAILIES_POLL_SECONDS must be greater than 0"),
        ({"DAILIES_BACKEND_CONCURRENCY": "2.5"}, "DAILIES_BACKEND_CONCURRENCY must be a whole number"),
        ({"KLING_ACCESS_KEY": "ak"}, "KLING_SECRET_KEY is not set"),
        ({"KLING_SECRET_KEY": "sk"}, "KLING_ACCESS_KEY is not set"),
        ({"DAILIES_PREVIEW_SCALE": "2"}, "DAILIES_PREVIEW_SCALE must be between 0.1 and 1"),
        ({"DAILIES_PREVIEW_SCALE": "half"}, "DAILIES_PREVIEW_SCALE must be a fraction"),
        ({"DAILIES_INTENT_MODEL": "gemini-3.5-flash-lite"}, "DAILIES_INTENT_MODEL is set but neither"),
    ],
)
def test_bad_settings_name_the_variable(env, named):
    with pytest.raises(ConfigError, match=named):
        load_config(env, dotenv=None)


def test_require_names_the_missing_token_and_how_to_get_it():
    config = load_config({"SLACK_BOT_TOKEN": "xoxb-1"}, dotenv=None)
    config.require("SLACK_BOT_TOKEN")
    with pytest.raises(ConfigError, match=r"SLACK_SIGNING_SECRET is not set: .*Signing Secret"):
        config.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")


def test_repr_and_secret_list_never_show_values_but_know_them():
    config = load_config(
        {
            "SLACK_BOT_TOKEN": "xoxb-very-secret",
            "AIMLAPI_API_KEY": "aiml-secret-key",
            "KLING_API_KEY": "kling-secret",
        },
        dotenv=None,
    )
    assert "secret" not in repr(config)
    assert {"xoxb-very-secret", "aiml-secret-key", "kling-secret"} <= set(config.secrets())
    assert configured(config) == ("kling", "aimlapi", "preview")


def test_a_bot_token_with_the_client_id_and_secret_is_one_workspace_with_sign_in():
    config = load_config(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_APP_TOKEN": "xapp-1",
            "SLACK_CLIENT_ID": "1.2",
            "SLACK_CLIENT_SECRET": "s",
        },
        dotenv=None,
    )
    assert not config.distribution and config.slack_client_id == "1.2"
    config.require_slack("run")  # Socket Mode serves one workspace; the pair only signs people in
    assert load_config(
        {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s", "DAILIES_SECRET_KEY": "k"}, dotenv=None
    ).distribution
