"""The Slack stand-in against the real slack_sdk clients, and the signed request builders against Bolt."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.tools.slack_standin import SlackStandIn
from tests.fakes.slack import APP_TOKEN, BOT_TOKEN, ScriptedSlack, running, web_client
from tests.fakes.slack_requests import (
    SIGNING_SECRET,
    app_mention_event,
    block_actions_body,
    event_body,
    event_payload,
    message_event,
    post_signed,
    reaction_event,
    signed_headers,
    slash_command_body,
    socket_envelope,
)

CHANNEL = "C0CHANNEL"
HOME_BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "Your jobs"}}]


@pytest.fixture
async def slack() -> AsyncIterator[ScriptedSlack]:
    async with running() as standin:
        yield standin


async def test_auth_test_reports_the_bot_identity_and_scopes(slack: ScriptedSlack) -> None:
    response = await web_client(slack).auth_test()
    assert (response["user_id"], response["bot_id"], response["team_id"]) == ("UBOT", "BBOT", "T0DAILIES")
    assert "chat:write" in response.headers["x-oauth-scopes"].split(",")
    assert slack.calls_to("auth.test")[0].auth == f"Bearer {BOT_TOKEN}"


async def test_post_then_update_keeps_one_card_with_the_new_text(slack: ScriptedSlack) -> None:
    client = web_client(slack)
    posted = await client.chat_postMessage(channel=CHANNEL, text="queued", blocks=[{"type": "divider"}])
    assert posted["ts"] == "1732500000.000100" and posted["message"]["bot_id"] == "BBOT"
    updated = await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="rendering 40%")
    assert updated["text"] == "rendering 40%" and updated["ts"] == posted["ts"]
    card = slack.message(CHANNEL, posted["ts"])
    assert card is not None and card["text"] == "rendering 40%" and card["blocks"] == [{"type": "divider"}]
    assert len(slack.messages[CHANNEL]) == 1
    assert slack.calls_to("chat.postMessage")[0].content_type == "application/json"


async def test_update_of_unknown_or_foreign_message_fails_like_slack(slack: ScriptedSlack) -> None:
    client = web_client(slack)
    with pytest.raises(SlackApiError) as unknown:
        await client.chat_update(channel=CHANNEL, ts="1.000001", text="x")
    assert unknown.value.response["error"] == "message_not_found"
    theirs = slack.add_message(CHANNEL, "a person's post", user="U0ALICE")
    with pytest.raises(SlackApiError) as foreign:
        await client.chat_update(channel=CHANNEL, ts=theirs["ts"], text="x")
    assert foreign.value.response["error"] == "cant_update_message"


async def test_post_ephemeral_returns_message_ts_and_records_the_user(slack: ScriptedSlack) -> None:
    response = await web_client(slack).chat_postEphemeral(channel=CHANNEL, user="U0ALICE", text="only you")
    assert response["message_ts"] == slack.ephemerals[0]["message_ts"]
    assert slack.ephemerals[0]["user"] == "U0ALICE"
    assert slack.transcript(CHANNEL) == ["[only U0ALICE sees] only you"]


async def test_reactions_refuse_repeats_and_unknown_removals(slack: ScriptedSlack) -> None:
    client = web_client(slack)
    await client.reactions_add(channel=CHANNEL, name="eyes", timestamp="1.1")
    with pytest.raises(SlackApiError, match="already_reacted"):
        await client.reactions_add(channel=CHANNEL, name="eyes", timestamp="1.1")
    assert slack.reactions(CHANNEL, "1.1") == {"eyes": ["UBOT"]}
    await client.reactions_remove(channel=CHANNEL, name="eyes", timestamp="1.1")
    with pytest.raises(SlackApiError, match="no_reaction"):
        await client.reactions_remove(channel=CHANNEL, name="eyes", timestamp="1.1")


async def test_three_step_upload_streams_into_the_thread(slack: ScriptedSlack) -> None:
    client = web_client(slack)
    card = await client.chat_postMessage(channel=CHANNEL, text="card")
    data = os.urandom(3 * 1024 * 1024 + 17)
    ticket = await client.files_getUploadURLExternal(filename="take-1.mp4", length=len(data))

    async def chunks():
        for start in range(0, len(data), 64 * 1024):
            yield data[start : start + 64 * 1024]

    async with aiohttp.ClientSession() as http:
        async with http.post(ticket["upload_url"], data=chunks()) as resp:
            assert (resp.status, await resp.text()) == (200, f"OK - {len(data)}")
        async with http.post(ticket["upload_url"], data=b"again") as resp:
            assert resp.status == 400
    done = await client.files_completeUploadExternal(
        files=[{"id": ticket["file_id"], "title": "Take 1"}],
        channel_id=CHANNEL,
        thread_ts=card["ts"],
        initial_comment="Take 1 is ready",
    )
    assert done["files"] == [{"id": ticket["file_id"], "title": "Take 1"}]
    assert slack.calls_to("files.completeUploadExternal")[0].params["files"][0]["id"] == ticket["file_id"]
    [reply] = slack.thread(CHANNEL, card["ts"])
    assert reply["text"] == "Take 1 is ready" and reply["files"][0]["id"] == ticket["file_id"]
    stored = slack.uploads[ticket["file_id"]]
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert slack.upload_path(ticket["file_id"]).read_bytes() == data
    assert slack.transcript(CHANNEL)[1] == f"  ↳ [thread] Take 1 is ready (file {ticket['file_id']})"
    with pytest.raises(SlackApiError, match="upload_already_completed"):
        await client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id=CHANNEL)


async def test_complete_refuses_a_file_that_was_never_uploaded(slack: ScriptedSlack) -> None:
    client = web_client(slack)
    ticket = await client.files_getUploadURLExternal(filename="x.mp4", length=3)
    with pytest.raises(SlackApiError, match="file_not_found"):
        await client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id=CHANNEL)
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await client.files_getUploadURLExternal(filename="x.mp4", length="lots")  # type: ignore[arg-type]


async def test_files_upload_v2_from_the_sdk_works(slack: ScriptedSlack) -> None:
    client = web_client(slack)
    card = await client.chat_postMessage(channel=CHANNEL, text="card")
    done = await client.files_upload_v2(
        channel=CHANNEL, thread_ts=card["ts"], content=b"\x00mp4", filename="a.mp4", initial_comment="here"
    )
    file_id = done["file"]["id"]
    assert slack.upload_path(file_id).read_bytes() == b"\x00mp4"
    info = await client.files_info(file=file_id)
    assert info["file"]["mimetype"] == "video/mp4"
    assert info["file"]["shares"]["public"][CHANNEL][0]["thread_ts"] == card["ts"]


async def test_rate_limit_is_retried_by_the_sdk_handler(slack: ScriptedSlack) -> None:
    slack.fail_next("chat.update", status=429, headers={"Retry-After": "1"})
    client = web_client(slack, retry_429=True)
    card = await client.chat_postMessage(channel=CHANNEL, text="card")
    await client.chat_update(channel=CHANNEL, ts=card["ts"], text="done")
    assert slack.count("chat.update") == 2
    assert slack.message(CHANNEL, card["ts"])["text"] == "done"  # type: ignore[index]


async def test_queued_failures_reach_the_client_unchanged(slack: ScriptedSlack) -> None:
    client = web_client(slack)
    slack.fail_next("chat.postMessage", body={"ok": False, "error": "channel_not_found"})
    slack.fail_next("chat.postMessage", status=429)
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel="CNOPE", text="x")
    assert refused.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as limited:
        await client.chat_postMessage(channel=CHANNEL, text="x")
    assert limited.value.response.status_code == 429 and limited.value.response.headers["Retry-After"] == "1"
    assert (await client.chat_postMessage(channel=CHANNEL, text="x"))["ok"]


async def test_tokens_and_methods_are_checked(slack: ScriptedSlack) -> None:
    with pytest.raises(SlackApiError, match="invalid_auth"):
        await web_client(slack, token="xoxp-person").auth_test()
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        await web_client(slack, token=APP_TOKEN).chat_postMessage(channel=CHANNEL, text="x")
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        await web_client(slack).apps_connections_open(app_token=BOT_TOKEN)
    with pytest.raises(SlackApiError, match="unknown_method"):
        await web_client(slack).api_call("chat.scheduleMessage", json={"channel": CHANNEL})


async def test_form_bodies_and_extra_params_are_accepted(slack: ScriptedSlack) -> None:
    form = {
        "channel": CHANNEL,
        "text": "from a form",
        "blocks": json.dumps([{"type": "divider"}]),
        "team_id": "T1",
    }
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {BOT_TOKEN}"}) as http:
        async with http.post(slack.api_url + "chat.postMessage", data=form) as resp:
            assert (await resp.json())["ok"]
    [message] = slack.messages[CHANNEL]
    assert message["text"] == "from a form" and message["blocks"] == [{"type": "divider"}]


async def test_offline_drops_the_connection(slack: ScriptedSlack) -> None:
    slack.offline = True
    with pytest.raises(aiohttp.ClientConnectionError):
        await web_client(slack).chat_postMessage(channel=CHANNEL, text="x")
    assert slack.count("chat.postMessage") == 0 and slack.offline_attempts >= 1
    slack.offline = False
    assert (await web_client(slack).chat_postMessage(channel=CHANNEL, text="x"))["ok"]


async def test_user_files_download_only_with_the_bot_token(slack: ScriptedSlack) -> None:
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(100)
    url = slack.add_file("F0REFIMAGE", png)["url_private_download"]
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            assert resp.status == 200 and resp.content_type == "text/html"
        async with http.get(url, headers={"Authorization": f"Bearer {BOT_TOKEN}"}) as resp:
            assert resp.content_type == "image/png" and await resp.read() == png
    assert slack.count("files.download") == 2


async def test_replies_views_and_users(slack: ScriptedSlack) -> None:
    client = web_client(slack)
    parent = slack.add_message(CHANNEL, "make a fox", user="U0ALICE")
    await client.chat_postMessage(channel=CHANNEL, text="on it", thread_ts=parent["ts"])
    replies = await client.conversations_replies(channel=CHANNEL, ts=parent["ts"])
    assert [m["text"] for m in replies["messages"]] == ["make a fox", "on it"]
    assert replies["messages"][0]["reply_count"] == 1
    with pytest.raises(SlackApiError, match="thread_not_found"):
        await client.conversations_replies(channel=CHANNEL, ts="9.9")
    view = await client.views_publish(user_id="U0ALICE", view={"type": "home", "blocks": HOME_BLOCKS})
    assert slack.views["U0ALICE"]["id"] == view["view"]["id"]
    with pytest.raises(SlackApiError, match="hash_conflict"):
        await client.views_publish(
            user_id="U0ALICE", view={"type": "home", "blocks": HOME_BLOCKS}, hash="stale"
        )
    assert (await client.users_info(user="U0ALICE"))["user"]["id"] == "U0ALICE"
    assert slack.transcript(CHANNEL) == [f"[U0ALICE {parent['ts']}] make a fox", "  ↳ [thread] on it"]


async def test_wait_for_explains_what_happened_on_timeout(slack: ScriptedSlack) -> None:
    await web_client(slack).auth_test()
    with pytest.raises(AssertionError, match="auth.test"):
        await slack.wait_for_count("chat.postMessage", 1, timeout=0.1)


async def test_socket_mode_client_connects_receives_and_acks(slack: ScriptedSlack) -> None:
    received: list[SocketModeRequest] = []

    async def listener(client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        received.append(req)
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))

    socket = SocketModeClient(app_token=APP_TOKEN, web_client=AsyncWebClient(base_url=slack.api_url))
    socket.socket_mode_request_listeners.append(listener)
    try:
        await socket.connect()
        event = app_mention_event("a fox in the snow", channel=CHANNEL, user="U0ALICE", ts="1.2")
        envelope = socket_envelope("events_api", event_payload(event))
        await slack.send_socket_envelope(envelope)
        await slack.wait_for(lambda: len(slack.socket_acks) == 1)
    finally:
        await socket.close()
    assert slack.socket_acks == [{"envelope_id": envelope["envelope_id"]}]
    assert received[0].payload["event"]["text"] == "<@UBOT> a fox in the snow"
    assert slack.count("apps.connections.open") == 1


def test_signed_headers_verify_with_the_sdk() -> None:
    body = slash_command_body("a fox", response_url="http://127.0.0.1:1/response/C/1")
    headers = signed_headers(body)
    ts, signature = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    assert SignatureVerifier(SIGNING_SECRET).is_valid(body=body, timestamp=ts, signature=signature)
    assert not SignatureVerifier("another-secret").is_valid(body=body, timestamp=ts, signature=signature)
    stale = signed_headers(body, timestamp=int(time.time()) - 600)
    assert not SignatureVerifier(SIGNING_SECRET).is_valid(
        body=body, timestamp=stale["X-Slack-Request-Timestamp"], signature=stale["X-Slack-Signature"]
    )


def _bolt_app(slack: ScriptedSlack) -> tuple[AsyncApp, list]:
    seen: list = []
    app = AsyncApp(client=web_client(slack), signing_secret=SIGNING_SECRET)

    @app.command("/video")
    async def video(ack, body, respond):
        await ack()
        seen.append(("command", body["text"]))
        await respond(text=f"queued {body['text']}")

    @app.action("retake")
    async def retake(ack, body):
        await ack()
        seen.append(("action", body["actions"][0]["value"], body["container"]["thread_ts"]))

    @app.event("app_mention")
    async def mention(event):
        seen.append(("mention", event["text"], event["files"][0]["id"]))

    @app.event("message")
    async def message(event):
        seen.append(("message", event["text"], event.get("thread_ts")))

    @app.event("reaction_added")
    async def reaction(event):
        seen.append(("reaction", event["reaction"], event["item"]["ts"]))

    return app, seen


async def test_built_requests_are_understood_by_bolt(slack: ScriptedSlack) -> None:
    app, seen = _bolt_app(slack)
    image = slack.add_file("F0REFIMAGE", b"png")
    bodies = [
        slash_command_body("a “fox” at dawn", response_url=slack.response_url(CHANNEL)),
        block_actions_body(
            "retake",
            "job-7",
            user_id="U0ALICE",
            channel_id=CHANNEL,
            message_ts="1.5",
            thread_ts="1.4",
            response_url=slack.response_url(CHANNEL),
        ),
        event_body(app_mention_event("with this", channel=CHANNEL, user="U0ALICE", ts="1.6", files=[image])),
        event_body(message_event("longer", channel=CHANNEL, user="U0ALICE", ts="1.8", thread_ts="1.5")),
        event_body(reaction_event("white_check_mark", user="U0ALICE", channel=CHANNEL, ts="1.5")),
    ]
    for body in bodies:
        response = await app.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body)))
        assert response.status == 200, response.body
    await slack.wait_for(lambda: len(seen) == 5 and slack.count("response_url") == 1)
    assert sorted(seen, key=str) == sorted(
        [
            ("command", "a “fox” at dawn"),
            ("action", "job-7", "1.4"),
            ("mention", "<@UBOT> with this", "F0REFIMAGE"),
            ("message", "longer", "1.5"),
            ("reaction", "white_check_mark", "1.5"),
        ],
        key=str,
    )
    assert slack.transcript(CHANNEL) == ["[reply to command] queued a “fox” at dawn"]


async def test_post_signed_reaches_bolt_over_http_and_bad_signatures_get_401(slack: ScriptedSlack) -> None:
    from aiohttp import web

    app, seen = _bolt_app(slack)
    runner = web.AppRunner(app.web_app(path="/slack/events"))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        body = slash_command_body("a fox", response_url=slack.response_url(CHANNEL))
        assert (await post_signed(base, "/slack/events", body))[0] == 200
        assert (await post_signed(base, "/slack/events", body, secret="wrong"))[0] == 401
        stale = int(time.time()) - 600
        assert (await post_signed(base, "/slack/events", body, timestamp=stale))[0] == 401
        await slack.wait_for_count("response_url", 1)
    finally:
        await runner.cleanup()
    assert seen == [("command", "a fox")]


async def test_socket_mode_client_reconnects_after_disconnect(slack: ScriptedSlack) -> None:
    async def ack(client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))

    socket = SocketModeClient(app_token=APP_TOKEN, web_client=AsyncWebClient(base_url=slack.api_url))
    socket.socket_mode_request_listeners.append(ack)
    try:
        await socket.connect()
        await slack.wait_for(lambda: slack.socket_connections == 1)
        await slack.disconnect_sockets()
        await slack.wait_for_count("apps.connections.open", 2)
        # the new connection is up (its URL asked for is not enough: an envelope sent before it
        # would go to the socket being replaced)
        await slack.wait_for(lambda: slack.sockets_opened == 2)
        envelope = socket_envelope("slash_commands", {"command": "/video", "text": "help"})
        await slack.send_socket_envelope(envelope)
        await slack.wait_for(lambda: len(slack.socket_acks) == 1)
    finally:
        await socket.close()
    assert slack.socket_acks[0]["envelope_id"] == envelope["envelope_id"]


async def test_multipart_upload_is_accepted_like_raw_bytes(slack: ScriptedSlack) -> None:
    ticket = await web_client(slack).files_getUploadURLExternal(filename="b.mp4", length=5)
    form = aiohttp.FormData()
    form.add_field("file", b"abcde", filename="b.mp4", content_type="video/mp4")
    async with aiohttp.ClientSession() as http:
        async with http.post(ticket["upload_url"], data=form) as resp:
            assert (resp.status, await resp.text()) == (200, "OK - 5")
    assert slack.upload_path(ticket["file_id"]).read_bytes() == b"abcde"


async def test_the_shipped_standin_carries_no_fault_injection_socket_mode_or_surfaces() -> None:
    shipped = SlackStandIn()
    await shipped.start()
    try:
        client = web_client(shipped, token=APP_TOKEN)
        with pytest.raises(SlackApiError) as refused:
            await client.apps_connections_open(app_token=APP_TOKEN)
        assert refused.value.response["error"] == "unknown_method"
        with pytest.raises(SlackApiError) as refused:
            await web_client(shipped).views_open(trigger_id="1.2.3", view={"type": "modal", "blocks": []})
        assert refused.value.response["error"] == "unknown_method"
    finally:
        await shipped.stop()
    test_only = (
        *("fail_next", "offline", "send_socket_envelope", "add_file", "add_message", "wait_for"),
        *("issue_trigger", "start_function", "modals", "views", "executions"),
    )
    assert not any(hasattr(shipped, name) for name in test_only)


async def set_status(client: AsyncWebClient, **params) -> dict:
    try:
        return (await client.api_call("assistant.threads.setStatus", json=params)).data
    except SlackApiError as exc:
        return exc.response.data


async def test_set_status_is_enforced_as_slack_does(slack: ScriptedSlack) -> None:
    client = web_client(slack)
    root = (await client.chat_postMessage(channel="D0ALICE", text="card"))["ts"]
    ok = {"channel_id": "D0ALICE", "thread_ts": root, "status": "is rendering… 40%"}
    assert (await set_status(client, **{**ok, "channel_id": "D0NOBODY"}))["error"] == "channel_not_found"
    assert (await set_status(client, **{**ok, "thread_ts": "1.000001"}))["error"] == "invalid_thread_ts"
    assert (await set_status(client, channel_id="D0ALICE", thread_ts=root))["error"] == "invalid_arguments"
    too_many = {**ok, "loading_messages": [f"step {i}" for i in range(11)]}
    assert (await set_status(client, **too_many))["error"] == "invalid_arguments"
    assert (await set_status(client, **ok))["ok"] and slack.status("D0ALICE", root) == "is rendering… 40%"
    # the app's reply in the thread replaces the status line; an empty status clears it too
    await client.chat_postMessage(channel="D0ALICE", thread_ts=root, text="the clip")
    assert slack.status("D0ALICE", root) == ""
    await set_status(client, **ok)
    await set_status(client, **{**ok, "status": ""})
    assert slack.status("D0ALICE", root) == ""


async def test_set_status_needs_chat_write_or_assistant_write() -> None:
    async with running(scopes=("channels:history", "assistant:write")) as slack:
        client = web_client(slack)
        root = (await client.chat_postMessage(channel="D0ALICE", text="card"))["ts"]
        assert (await set_status(client, channel_id="D0ALICE", thread_ts=root, status="x"))["ok"]
    async with running(scopes=("channels:history", "im:history")) as slack:
        client = web_client(slack)
        root = (await client.chat_postMessage(channel="D0ALICE", text="card"))["ts"]
        answer = await set_status(client, channel_id="D0ALICE", thread_ts=root, status="x")
        assert (answer["error"], answer["needed"]) == ("missing_scope", "chat:write")


async def test_suggested_prompts_need_assistant_write_a_dm_and_titled_prompts() -> None:
    prompts = [{"title": "A draft", "message": "a fox --seconds 5"}]
    async with running() as slack:
        client = web_client(slack)
        call = "assistant.threads.setSuggestedPrompts"
        assert (await client.api_call(call, json={"channel_id": "D0ALICE", "prompts": prompts}))["ok"]
        for bad in ({"channel_id": "C0CHANNEL", "prompts": prompts}, {"channel_id": "D0ALICE", "prompts": []},
                    {"channel_id": "D0ALICE", "prompts": [{"title": "no message"}]}):  # fmt: skip
            with pytest.raises(SlackApiError):
                await client.api_call(call, json=bad)
    async with running(scopes=("chat:write", "im:history")) as slack:
        with pytest.raises(SlackApiError, match="missing_scope"):
            await web_client(slack).api_call(call, json={"channel_id": "D0ALICE", "prompts": prompts})
