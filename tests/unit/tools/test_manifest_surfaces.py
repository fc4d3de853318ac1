"""Issue 16: the manifest declares what the listeners answer (shortcuts, the custom step)."""

from __future__ import annotations

from bot.studio.workflow_steps import CALLBACK_ID
from bot.tools.manifest import manifest
from handlers.shortcuts import EDIT_CLIP, SAVE_SUBJECT


def test_the_manifest_declares_the_shortcuts_and_the_step_the_listeners_answer():
    for http_url in (None, "https://dailies.example.com"):
        app = manifest(http_url)
        shortcuts = {s["callback_id"]: s for s in app["features"]["shortcuts"]}
        assert set(shortcuts) == {EDIT_CLIP, SAVE_SUBJECT}
        assert all(s["type"] == "message" and len(s["name"]) <= 24 for s in shortcuts.values())
        step = app["functions"][CALLBACK_ID]
        assert set(step["input_parameters"]) >= {"channel", "prompt", "model", "seconds"}
        assert set(step["output_parameters"]) == {"clip_permalink", "job_id", "cost"}
        assert app["settings"]["function_runtime"] == "remote" and app["settings"]["org_deploy_enabled"]
        assert "function_executed" in app["settings"]["event_subscriptions"]["bot_events"]


def test_the_manifest_opens_the_dm_studio():
    from bot.tools.manifest import AGENT_DESCRIPTION

    for http_url in (None, "https://dailies.example.com"):
        app = manifest(http_url)
        assert app["features"]["agent_view"]["agent_description"] == AGENT_DESCRIPTION
        assert len(AGENT_DESCRIPTION) <= 300
        events = app["settings"]["event_subscriptions"]["bot_events"]
        assert {"message.im", "app_home_opened"} <= set(events)  # DM messages; the Messages tab opened
        assert {"im:history", "chat:write", "assistant:write"} <= set(app["oauth_config"]["scopes"]["bot"])
        assert app["features"]["app_home"]["messages_tab_enabled"]
