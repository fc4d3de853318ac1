"""What can go wrong at a video backend, as one exception tree shared by every backend.

    ProviderError                 anything a backend answered that is not a result
    ├── Refused                   content policy / moderation: shown to the user, never retried, no spend
    ├── OutOfBalance              the account has no credit left (Kling 1101/1102, AI/ML API 403)
    ├── AuthFailed                the key is missing, wrong or not allowed this model (401/403)
    ├── BadRequest                the backend rejected our request: a bug on our side (400/404 params)
    ├── ModelUnavailable          the backend no longer serves this model (retired Sora 2, 404 model)
    │   └── ModelGone             ...and it said so in an answer: the model is marked unavailable
    ├── ContinuationExpired       the clip's conversation an edit continues is gone (Gemini Omni)
    └── Retryable                 worth trying again later, with backoff
        ├── RateLimited           429, Kling 1302/1303: honour `retry_after`
        ├── Unavailable           5xx, connection refused/reset
        └── Timeout               the backend did not answer in time

Every error carries a message written for the person in the channel, the backend's request id
when it gave one (for the logs, never a secret), and `retry_after` seconds when the backend said so.
"""

from __future__ import annotations

from typing import TypedDict


class ErrorContext(TypedDict, total=False):
    """The keyword arguments a backend's error mapping passes to every error it builds."""

    request_id: str | None
    code: str | None


class ProviderError(Exception):
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        request_id: str | None = None,
        retry_after: float | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id
        self.retry_after = retry_after
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, request_id={self.request_id!r})"


class Refused(ProviderError):
    """The provider refused the content. Never retried; costs nothing."""


class OutOfBalance(ProviderError):
    """The provider account has run out of credit."""


class AuthFailed(ProviderError):
    """The configured key was rejected or lacks access."""


class BadRequest(ProviderError):
    """The provider rejected the request's shape: a bug on our side or a limit we did not know."""


class ModelUnavailable(ProviderError):
    """The backend does not (or no longer) serve this model. `suggestion` names one to use instead."""

    def __init__(self, message: str, *, suggestion: str | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.suggestion = suggestion


class ModelGone(ModelUnavailable):
    """The backend answered that the model is gone (404, `model_not_found`, "is no longer
    available"): Dailies marks it unavailable there at once (`bot.providers.discovery`)."""


class ContinuationExpired(ProviderError):
    """The backend no longer keeps the conversation an edit continues: work from the clip itself."""


class Retryable(ProviderError):
    retryable = True


class RateLimited(Retryable):
    """Too many requests or too many tasks at once; wait `retry_after` seconds when given."""


class Unavailable(Retryable):
    """A 5xx answer or a broken connection."""


class Timeout(Retryable):
    """The backend did not answer in time."""
