"""Asking the optional language model (DAILIES_INTENT_MODEL) how to read a thread reply the rules
took for a plain edit; every call is an audit row with its cost, and any failure leaves the rules' reading."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.outcomes import Refusal
from bot.providers.chat import ChatAnswer, ChatClient
from bot.providers.errors import ProviderError
from bot.providers.http import backend_name
from bot.request import ThreadInstruction
from bot.request.intent import SCHEMA, SCHEMA_NAME, SYSTEM_PROMPT, read_answer, user_message
from bot.studio.origin import Origin
from storage import audit
from storage.db import Store

log = logging.getLogger(__name__)
BUDGET_SECONDS = 5.0  # past this the person would be waiting on us: the rules decide
Check = Callable[[ThreadInstruction], Awaitable[str | None]]  # why a plan can't run, or None


class IntentReader:
    def __init__(self, store: Store, chat: ChatClient, budget: float = BUDGET_SECONDS) -> None:
        self.store = store
        self.chat = chat
        self.budget = budget

    async def read(
        self, origin: Origin, text: str, version: int | None, check: Check
    ) -> ThreadInstruction | None:
        """The model's plan for `text`, passed by `check` (the checks any reply gets); None (logged,
        audited) when the model fails, is slow or answers something the checks refuse."""
        answer: ChatAnswer | None = None
        try:
            answer = await asyncio.wait_for(
                self.chat.json_answer(
                    SYSTEM_PROMPT, user_message(text), SCHEMA, name=SCHEMA_NAME, timeout=self.budget
                ),
                self.budget,
            )
            plan = read_answer(answer.text, version)
            if not isinstance(plan, Refusal) and (problem := await check(plan)):
                plan = Refusal(f"its plan ({plan.reading or plan.kind}) can't run: {problem}")
        except TimeoutError:
            plan = Refusal(f"no answer within {self.budget:g} s")
        except ProviderError as exc:
            plan = Refusal(exc.message)
        except Exception as exc:  # whatever else went wrong, the rules still read the reply
            log.exception("intent model %s failed", self.chat.model)
            plan = Refusal(f"it failed ({type(exc).__name__})")
        if isinstance(plan, Refusal):
            log.warning("intent model %s: %s; the rules read the reply", self.chat.model, plan.message)
        await self._audit(origin, answer, plan)
        return None if isinstance(plan, Refusal) else plan

    async def _audit(
        self, origin: Origin, answer: ChatAnswer | None, plan: ThreadInstruction | Refusal
    ) -> None:
        where = f"{self.chat.model} on {backend_name(self.chat.backend)}"
        if answer is None:
            cost = "no answer, $0"
        elif answer.usd is not None:
            cost = f"${answer.usd:.6f}, {answer.milliseconds} ms"
        else:
            cost = f"{answer.tokens or '?'} tokens (price not reported), {answer.milliseconds} ms"
        read = f"failed ({plan.message}), rules used" if isinstance(plan, Refusal) else _said(plan)
        await self.store.run(
            audit.record, origin.team_id, origin.channel_id, origin.user_id, "intent model",
            f"{where}: {read}; {cost}",
        )  # fmt: skip


def _said(plan: ThreadInstruction) -> str:
    return plan.reading or f"{plan.kind} “{plan.text}”"
