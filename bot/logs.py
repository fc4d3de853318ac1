"""Logging set-up that masks every configured secret, wherever it would appear in a log line."""

from __future__ import annotations

import logging
import re

_TOKENISH = re.compile(r"\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+)\b")
# a screening-room pass in a path (the access log) is a capability too: the link must not live on in logs
_ROOM_PASS = re.compile(r"/review/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class MaskSecrets(logging.Filter):
    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if len(s) >= 6)

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[secret]")
        text = _ROOM_PASS.sub("/review/[pass]", text)
        return _TOKENISH.sub(lambda m: m.group(1)[:5] + "[secret]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and record.exc_text is None:
            record.exc_text = self.mask(logging.Formatter().formatException(record.exc_info))
        return True


def setup_logging(secrets: tuple[str, ...], level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
