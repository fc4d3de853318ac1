"""The `dailies` console script as an operator runs it: a subprocess from a clean temp dir
(try, manifest, models, run without tokens, doctor against provider stand-ins)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import sys
from pathlib import Path

import av
import httpx
import pytest

from bot.request.catalogue import shipped_catalogue
from tests.fakes.gemini import FakeGemini
from tests.fakes.kling import FakeKling
from tests.fakes.openai_videos import FakeOpenAIVideos
from tests.fakes.slack import BOT_TOKEN
from tests.fakes.slack_requests import FORM, SIGNING_SECRET, post_signed, slash_command_body

REPO = Path(__file__).resolve().parents[2]
PROVIDER_VARS = re.compile(r"^(SLACK_|DAILIES_|KLING_|OPENAI_|AIMLAPI_)")


def command() -> list[str]:
    script = shutil.which("dailies")
    return [script] if script else [sys.executable, "-m", "bot.cli"]


def clean_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not PROVIDER_VARS.match(k)}
    env |= {"DAILIES_DB": str(tmp / "dailies.db"), "DAILIES_MEDIA_DIR": str(tmp / "media")}
    return env | extra


async def dailies(tmp: Path, *args: str, timeout: float = 120, **env: str) -> tuple[int, str, str]:
    """Run `dailies *args` in `tmp` without blocking the loop (stand-ins keep serving)."""
    proc = await asyncio.create_subprocess_exec(
        *command(),
        *args,
        cwd=tmp,
        env=clean_env(tmp, **env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, out.decode(), err.decode()


async def test_try_delivers_an_h264_mp4_and_exits_0(tmp_path):
    code, out, err = await dailies(tmp_path, "try", "a red fox in fresh snow --seconds 3")
    assert code == 0, out + err
    paths = [Path(p) for p in re.findall(r"(\S+\.mp4)\b", out)]
    assert paths, out
    path = paths[-1] if paths[-1].is_absolute() else tmp_path / paths[-1]
    with av.open(str(path)) as clip:
        assert clip.streams.video[0].codec_context.name == "h264"
    assert "Traceback" not in err


async def test_try_twice_on_the_same_database_posts_one_fresh_card_each_time(tmp_path):
    """Regression: the stand-in's message timestamps restarted on every run, so the second
    run's card clashed with the first one's (channel, ts) in the kept database."""
    for prompt in ("a red fox in fresh snow --seconds 3", "a lighthouse at dusk --seconds 3"):
        code, out, err = await dailies(tmp_path, "try", prompt)
        assert code == 0, out + err
        assert "not posted yet" not in err and out.count("[card ") == 1, out + err
    assert "J2" in out


async def test_try_with_a_refused_request_exits_non_zero(tmp_path):
    code, out, err = await dailies(tmp_path, "try", "a fox --seconds 7 --model kling-2.6-pro")
    assert code != 0 and "5 or 10" in out + err and "Traceback" not in err


async def test_manifest_equals_manifest_yml(tmp_path):
    code, out, _ = await dailies(tmp_path, "manifest")
    assert code == 0 and out == (REPO / "manifest.yml").read_text()


async def test_models_lists_every_model(tmp_path):
    code, out, err = await dailies(tmp_path, "models")
    assert code == 0, err
    listed = {line.split()[0] for line in out.splitlines()[1:] if line.strip()}
    assert listed == set(shipped_catalogue())
    rows = {line.split()[0]: line for line in out.splitlines()[1:] if line.strip()}
    assert "multi-shot" in rows["kling-v3"] and "motion control" in rows["kling-v3"]
    assert "motion control" in rows["kling-2.6-pro"] and "multi-shot" not in rows["kling-2.6-pro"]
    assert "extend" in rows["veo-3.1"] and "motion control" not in rows["veo-3.1"]


@pytest.mark.parametrize("args", [("run",), ("serve", "--port", "0")])
async def test_run_without_tokens_is_a_one_line_error(tmp_path, args):
    code, out, err = await dailies(tmp_path, *args, timeout=30)
    assert code != 0
    assert "SLACK_BOT_TOKEN" in err and "Traceback" not in err + out
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(
    ("args", "named"),
    [(("run",), "dailies serve"), (("serve", "--port", "0"), "SLACK_SIGNING_SECRET is not set")],
)
async def test_distribution_mode_without_what_it_needs_is_a_one_line_error(tmp_path, args, named):
    """Workspaces installing through OAuth need HTTP mode and a signing secret, and no bot token."""
    oauth = {
        "SLACK_CLIENT_ID": "1111.2222",
        "SLACK_CLIENT_SECRET": "s",
        "SLACK_APP_TOKEN": "xapp-1",
        "DAILIES_SECRET_KEY": "Zm9yLXRlc3RzLW9ubHktdGhlLW5ldy1rZXktMzJieXQ=",
    }
    code, out, err = await dailies(tmp_path, *args, timeout=30, **oauth)
    assert code == 2 and named in err and "Traceback" not in err + out
    assert len(err.strip().splitlines()) == 1, err


async def test_doctor_with_a_kling_stand_in(tmp_path, slack):
    async with FakeKling() as fake:
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": slack.api_url,
            "KLING_API_KEY": fake.api_key,
            "KLING_BASE_URL": fake.url,
        }
        code, out, err = await dailies(tmp_path, "doctor", **env)
        assert "backend kling is reachable" in out, out + err
        assert code == 0, out + err
        assert any(r.auth == "api_key" for r in fake.requests)

        code, out, err = await dailies(tmp_path, "doctor", **(env | {"KLING_API_KEY": "wrong-key"}))
        assert code != 0 and "problem:" in out and "Traceback" not in err
        assert "wrong-key" not in out + err, "never print a key"


async def test_doctor_and_models_with_a_retired_openai_endpoint(tmp_path, slack):
    async with FakeOpenAIVideos() as fake:
        fake.retire_models({"sora-2", "sora-2-pro"})
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": slack.api_url,
            "OPENAI_API_KEY": fake.api_key,
            "OPENAI_BASE_URL": fake.base_url,
        }
        code, out, err = await dailies(tmp_path, "doctor", **env)
        assert code != 0 and "Traceback" not in err
        problems = [line for line in out.splitlines() if line.startswith("problem:")]
        unavailable = [line for line in problems if "sora-2" in line and "unavailable" in line]
        assert len(unavailable) == 2 and all("kling" in line for line in unavailable), out
        assert "model: sora-2-pro on openai: unavailable since" in out  # its model list lacks it

        code, out, err = await dailies(tmp_path, "models", **env)
        assert code == 0, err
        rows = {line.split()[0]: line for line in out.splitlines()[1:] if line.strip()}
        assert "unavailable" in rows["sora-2"] and "unavailable" in rows["sora-2-pro"]
        assert "unavailable" not in rows["kling-v3"]


async def test_models_and_doctor_show_each_models_state_per_backend(tmp_path, slack):
    """The Gemini key lists Veo 3.1's -001 id only; Kling publishes no list."""
    async with FakeGemini() as gemini, FakeKling() as kling:
        gemini.set_listed({"veo-3.1-generate-001"})
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack.api_url,
            "GEMINI_API_KEY": gemini.api_key, "GEMINI_BASE_URL": gemini.base_url,
            "KLING_API_KEY": kling.api_key, "KLING_BASE_URL": kling.url,
        }  # fmt: skip
        code, out, err = await dailies(tmp_path, "models", **env)
        assert code == 0, err
        rows = {line.split()[0]: line for line in out.splitlines()[1:] if line.strip()}
        assert "LISTS" in out.splitlines()[0]
        assert "gemini: available (veo-3.1-generate-001)" in rows["veo-3.1"]
        assert re.search(
            r"gemini: unavailable since \d{4}-\d\d-\d\d \d\d:\d\d UTC, never listed", rows["veo-3.1-fast"]
        )
        assert "kling: unknown (no model list)" in rows["kling-v3"]

        code, out, err = await dailies(tmp_path, "doctor", **env)
        assert "model: veo-3.1 on gemini: available (veo-3.1-generate-001)" in out, out + err
        assert "model: kling-v3 on kling: unknown (no model list)" in out
        problems = [line for line in out.splitlines() if line.startswith("problem:")]
        assert any("veo-3.1-fast" in line and "unavailable since" in line for line in problems), out
        assert code != 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_serve_checks_backends_at_startup_so_retired_sora_is_refused_before_a_job(tmp_path, slack):
    async with FakeOpenAIVideos() as fake:
        fake.retire_models({"sora-2", "sora-2-pro"})
        port = free_port()
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "OPENAI_API_KEY": fake.api_key,
            "OPENAI_BASE_URL": fake.base_url,
        }
        proc = await asyncio.create_subprocess_exec(
            *command(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            cwd=tmp_path,
            env=clean_env(tmp_path, **env),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient() as client:
                for _ in range(400):
                    try:
                        if (await client.get(f"{url}/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        await asyncio.sleep(0.05)
            body = slash_command_body("a fox --model sora-2 --seconds 4", response_url=slack.response_url())
            status, _ = await post_signed(url, "/slack/events", body, FORM)
            assert status == 200
            await slack.wait_for(lambda: slack.count("response_url") == 1)
            text = slack.calls_to("response_url")[0].params["text"]
            assert "no longer served" in text and "kling" in text
            assert fake.created() == [] and slack.count("chat.postMessage") == 0
        finally:
            proc.terminate()
            await proc.wait()


async def test_doctor_tries_the_intent_model_once(tmp_path, slack):
    from tests.fakes.chat_model import KEY, FakeChatModel

    chat = await FakeChatModel(
        plan={"kind": "again", "instruction": "", "aspect": "9:16", "seconds": 0, "takes": 1}
    ).start()
    try:
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack.api_url, "GEMINI_API_KEY": KEY,
            "GEMINI_BASE_URL": chat.base_url, "DAILIES_INTENT_MODEL": "gemini-3.5-flash-lite",
        }  # fmt: skip
        code, out, err = await dailies(tmp_path, "doctor", **env)
        assert "ok: thread replies are read by DAILIES_INTENT_MODEL gemini-3.5-flash-lite" in out, out + err
        assert len(chat.calls()) == 1
        chat.garbage = "not a plan"
        code, out, err = await dailies(tmp_path, "doctor", **env)
        assert "answers no usable plan" in out and code != 0, out + err
        assert KEY not in out + err, "never print a key"
    finally:
        await chat.close()
