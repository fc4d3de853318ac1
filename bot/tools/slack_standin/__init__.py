"""An in-process stand-in of the Slack Web API and its file hosting, recording every call."""

from bot.tools.slack_standin.records import DEFAULT_SCOPES, JSON_TYPE, Call, StoredFile
from bot.tools.slack_standin.standin import SlackStandIn

__all__ = ["DEFAULT_SCOPES", "JSON_TYPE", "Call", "SlackStandIn", "StoredFile"]
