"""Modals, App Home and Workflow Builder steps in the tests' Slack stand-in: views.open / views.update
with Slack's argument checks (single-use trigger ids that expire after 3 s, view limits, hashes),
views.publish, and functions.completeSuccess / completeError for the executions it started (whose
workflow tokens call the Web API while they run). `dailies try` needs none of it, so it is test code."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field

from bot.tools.slack_standin.records import _random_id

TRIGGER_SECONDS = 3.0  # "within 3 seconds of receiving it" (views.open)
WORKFLOW_TOKEN_SECONDS = 15 * 60  # a step's bot_access_token: 15 minutes, or until the step completes
MAX_VIEW_BYTES = 250_000
MAX_MODAL_BLOCKS = 100
MAX_TITLE = 24
MAX_METADATA = 3000
FUNCTION_ERRORS = ("function_execution_not_found", "execution_not_in_running_state")


@dataclass
class Execution:
    """One run of a custom step, as Slack keeps it."""

    execution_id: str
    callback_id: str
    inputs: dict
    outputs: tuple[str, ...]  # the required output parameters
    token: str
    issued: float
    state: str = "running"  # running | completed | failed
    result: dict = field(default_factory=dict)


def _invalid(*messages: str) -> dict:
    return {
        "ok": False,
        "error": "invalid_arguments",
        "response_metadata": {"messages": [f"[ERROR] {m}" for m in messages]},
    }


def _plain(obj, where: str, limit: int) -> str | None:
    if not isinstance(obj, dict) or obj.get("type") != "plain_text" or not obj.get("text"):
        return f"{where} must be a plain_text object"
    if len(obj["text"]) > limit:
        return f"{where} must be at most {limit} characters [json-pointer:/view/{where}/text]"
    return None


def view_problems(view) -> list[str]:
    """What views.open / views.update refuse in a modal view (Slack answers invalid_arguments)."""
    if not isinstance(view, dict):
        return ["view must be an object"]
    found = []
    if view.get("type") != "modal":
        found.append("view.type must be modal")
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return [*found, "view.blocks must be a list"]
    for key, limit in (("title", MAX_TITLE), ("submit", MAX_TITLE), ("close", MAX_TITLE)):
        if key in view or key == "title":
            problem = _plain(view.get(key), key, limit)
            if problem:
                found.append(problem)
    if any(b.get("type") == "input" for b in blocks if isinstance(b, dict)) and "submit" not in view:
        found.append("a view with input blocks needs a submit button")
    if len(blocks) > MAX_MODAL_BLOCKS:
        found.append(f"no more than {MAX_MODAL_BLOCKS} items allowed [json-pointer:/view/blocks]")
    ids = [b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("block_id")]
    if len(ids) != len(set(ids)):
        found.append("block_id values must be unique within a view")
    if len(str(view.get("private_metadata", ""))) > MAX_METADATA:
        found.append(f"private_metadata must be at most {MAX_METADATA} characters")
    return found


class Surfaces:
    """Mixed into ScriptedSlack: the modals and Home tabs it holds and the custom-step executions it started."""

    def _init_surfaces(self) -> None:
        self.modals: dict[str, dict] = {}  # view id -> the view as Slack holds it
        self.views: dict[str, dict] = {}  # user id -> the Home tab published for them
        self.executions: dict[str, Execution] = {}
        self._triggers: dict[str, float] = {}  # trigger id -> when Slack sent it (monotonic)
        self._used_triggers: set[str] = set()
        self._api.update(
            {
                "views.publish": self._views_publish,
                "views.open": self._views_open,
                "views.update": self._views_update,
                "functions.completeSuccess": self._complete_success,
                "functions.completeError": self._complete_error,
            }
        )

    # ---- what tests (and `dailies try`) arrange --------------------------------------------------

    def issue_trigger(self) -> str:
        """A trigger id as Slack puts in a command, shortcut or button payload it sends now."""
        trigger = f"{secrets.randbelow(10**13)}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}"
        self._triggers[trigger] = time.monotonic()
        return trigger

    def start_function(self, callback_id: str, inputs: dict, outputs: tuple[str, ...] = ()) -> dict:
        """A workflow reaching the app's step: the `function_executed` event Slack sends for it."""
        execution = Execution(
            execution_id=_random_id("Fx"),
            callback_id=callback_id,
            inputs=dict(inputs),
            outputs=tuple(outputs),
            token=f"xwfp-{secrets.token_hex(12)}",
            issued=time.monotonic(),
        )
        self.executions[execution.execution_id] = execution
        now = time.time()
        return {
            "type": "function_executed",
            "function": {
                "id": _random_id("Fn"), "callback_id": callback_id, "title": callback_id, "type": "app",
                "input_parameters": [{"type": "string", "name": k, "is_required": False} for k in inputs],
                "output_parameters": [{"type": "string", "name": k, "is_required": True} for k in outputs],
                "app_id": self.app_id, "date_updated": int(now),
            },
            "inputs": dict(inputs),
            "function_execution_id": execution.execution_id,
            "workflow_execution_id": _random_id("Wx"),
            "event_ts": f"{now:.6f}",
            "bot_access_token": execution.token,
        }  # fmt: skip

    def workflow_token_valid(self, token: str) -> bool:
        """A step's token works while its execution runs, for at most WORKFLOW_TOKEN_SECONDS."""
        return any(
            e.token == token and e.state == "running" and time.monotonic() - e.issued < WORKFLOW_TOKEN_SECONDS
            for e in self.executions.values()
        )

    def _token_error(self, token: str) -> str | None:
        if token.startswith("xwfp-"):  # a workflow step's token: valid while its execution runs
            return None if self.workflow_token_valid(token) else "invalid_auth"
        return super()._token_error(token)  # type: ignore[misc]

    # ---- views --------------------------------------------------------------------------------------

    def _take_trigger(self, trigger: str) -> str | None:
        """The error for a trigger id Slack would not accept; None (and used up) when it is fine."""
        issued = self._triggers.pop(trigger, None)
        if issued is None:
            return "exchanged_trigger_id" if trigger in self._used_triggers else "invalid_trigger_id"
        self._used_triggers.add(trigger)
        if time.monotonic() - issued > TRIGGER_SECONDS:
            return "expired_trigger_id"
        return None

    def _stored_view(self, view: dict, previous: dict | None = None) -> dict:
        view_id = (previous or {}).get("id") or _random_id("V")
        stored = {
            "id": view_id, "team_id": self.team_id, "type": "modal", "private_metadata": "",
            "callback_id": "", "state": {"values": {}}, "external_id": "", "root_view_id": view_id,
            "previous_view_id": None, "app_id": self.app_id, "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id, "notify_on_close": False, "clear_on_close": False, **view,
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        }  # fmt: skip
        self.modals[view_id] = stored
        return stored

    def _views_publish(self, params: dict) -> dict:
        user, view = params.get("user_id", ""), params.get("view")
        if not user or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        previous = self.views.get(user)
        if params.get("hash") and previous and params["hash"] != previous["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        stored = {
            "id": (previous or {}).get("id") or _random_id("V"), "team_id": self.team_id, "type": "home",
            "blocks": [], "private_metadata": "", "callback_id": "", "state": {"values": {}},
            "external_id": "", "app_id": self.app_id, "bot_id": self.bot_id, **view,
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        }  # fmt: skip
        self.views[user] = stored
        return {"ok": True, "view": stored}

    def _views_open(self, params: dict) -> dict:
        trigger = params.get("trigger_id") or params.get("interactivity_pointer")
        if not trigger:
            return _invalid("missing required field: trigger_id")
        view = params.get("view")
        if isinstance(view, dict) and len(json.dumps(view)) > MAX_VIEW_BYTES:
            return {"ok": False, "error": "view_too_large"}
        problems = view_problems(view)
        if problems:
            return _invalid(*problems)
        refused = self._take_trigger(trigger)
        if refused:
            return {"ok": False, "error": refused}
        return {"ok": True, "view": self._stored_view(view)}

    def _views_update(self, params: dict) -> dict:
        view_id, external = params.get("view_id"), params.get("external_id")
        if not view_id and not external:
            return _invalid("missing required field: view_id")
        previous = self.modals.get(view_id or "") or next(
            (v for v in self.modals.values() if external and v.get("external_id") == external), None
        )
        if previous is None:
            return {"ok": False, "error": "not_found"}
        if params.get("hash") and params["hash"] != previous["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        problems = view_problems(params.get("view"))
        if problems:
            return _invalid(*problems)
        return {"ok": True, "view": self._stored_view(params["view"], previous)}

    # ---- custom steps -------------------------------------------------------------------------------

    def _finish(self, params: dict, state: str) -> dict:
        execution = self.executions.get(params.get("function_execution_id") or "")
        if execution is None:
            return {"ok": False, "error": "function_execution_not_found"}
        if execution.state != "running":
            return {"ok": False, "error": "execution_not_in_running_state"}
        if state == "completed":
            outputs = params.get("outputs")
            if isinstance(outputs, str):
                try:
                    outputs = json.loads(outputs)
                except ValueError:
                    outputs = None
            if not isinstance(outputs, dict):
                return _invalid("missing required field: outputs")
            missing = [name for name in execution.outputs if outputs.get(name) in (None, "")]
            if missing:
                return {"ok": False, "error": "parameter_validation_failed", "errors": missing}
            execution.result = {"outputs": outputs}
        else:
            if not params.get("error"):
                return _invalid("missing required field: error")
            execution.result = {"error": params["error"]}
        execution.state = state  # the step's workflow token is revoked with it
        return {"ok": True}

    def _complete_success(self, params: dict) -> dict:
        return self._finish(params, "completed")

    def _complete_error(self, params: dict) -> dict:
        return self._finish(params, "failed")
