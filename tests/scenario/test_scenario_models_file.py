"""DAILIES_MODELS_FILE end to end: a model an operator adds in the file renders through the Kling
stand-in with no code change, `dailies models` lists it, and a broken file stops `dailies` with one
line naming the file, the row and the field."""

from __future__ import annotations

from tests.fakes.kling import FakeKling
from tests.harness import running_bot
from tests.scenario.test_cli import dailies
from tests.scenario.test_scenario_backends import deliver, kling_env
from tests.scenario.test_scenario_review import say
from tests.unit.request.test_catalogue_data import NEW_MODEL


async def test_a_model_added_by_the_file_renders_on_kling(tmp_path, slack):
    models_file = tmp_path / "models.toml"
    models_file.write_text(NEW_MODEL)
    async with (
        FakeKling(polls_to_finish=1) as fake,
        running_bot(tmp_path, slack, DAILIES_MODELS_FILE=str(models_file), **kling_env(fake)) as bot,
    ):
        assert "kling-2.5-turbo" in await say(bot, slack, "models")
        job, _ = await deliver(bot, slack, "a harbour at dawn --model kling-turbo --seconds 10")
        assert (job["model"], job["backend"]) == ("kling-2.5-turbo", "kling")
        assert job["estimate_usd"] == 0.42  # the file's 720p price, $0.042/s
        ((route, create),) = fake.creates
        assert route == "text2video"
        assert (create["model_name"], create["mode"], create["duration"]) == ("kling-v2-5-turbo", "std", "10")
        assert "sound" not in create  # its row says it renders no sound


async def test_dailies_models_lists_the_files_model(tmp_path):
    models_file = tmp_path / "models.toml"
    models_file.write_text(NEW_MODEL)
    code, out, err = await dailies(tmp_path, "models", DAILIES_MODELS_FILE=str(models_file))
    assert code == 0, err
    rows = {line.split()[0]: line for line in out.splitlines()[1:] if line.strip()}
    assert "kling-2.5-turbo" in rows and "$0.042/s" in rows["kling-2.5-turbo"]


async def test_a_broken_models_file_is_one_line_and_a_non_zero_exit(tmp_path):
    models_file = tmp_path / "models.toml"
    models_file.write_text(NEW_MODEL.replace('audio = "none"', 'audio = "stereo"'))
    code, out, err = await dailies(tmp_path, "models", DAILIES_MODELS_FILE=str(models_file))
    assert code != 0 and "Traceback" not in out + err
    (line,) = err.strip().splitlines()
    assert line.startswith(f'dailies: {models_file}: model "kling-2.5-turbo", field "audio":'), line
