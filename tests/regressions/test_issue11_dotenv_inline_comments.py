"""Issue 11: `.env` values keep neither inline comments nor their quotes, as python-dotenv reads them."""

from __future__ import annotations

from bot.config import load_config


def test_an_inline_comment_is_not_part_of_the_value(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "KLING_API_KEY=k-123 # from the Kling console\n"
        "DAILIES_DB='/data/dailies.db'  # quoted\n"
        "DAILIES_POLL_SECONDS=7 # seconds\n"
        'SLACK_SIGNING_SECRET="s#cret"\n'
        "OPENAI_API_KEY\n"
    )
    config = load_config({}, dotenv=dotenv)
    assert config.kling_api_key == "k-123"
    assert config.db_path == "/data/dailies.db"
    assert config.poll_seconds == 7.0  # was a ConfigError: "7 # seconds" is not a number
    assert config.slack_signing_secret == "s#cret"  # a # inside quotes is the value's own
    assert config.openai_api_key == ""


def test_a_missing_dotenv_file_sets_nothing(tmp_path):
    assert load_config({}, dotenv=tmp_path / "absent.env").db_path == "./dailies.db"
