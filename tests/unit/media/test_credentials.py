"""The C2PA certificate checks `dailies doctor` runs and signing relies on: dates, a real chain, a key
that is the leaf's; and the settings that name the files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import ConfigError, load_config
from bot.media.credentials import CredentialsError, describe, load_credentials
from bot.media.disclosure import ClipFacts, SourceClip, manifest_definition
from bot.tools.doctor import c2pa_checks
from tests.fakes.c2pa_certs import write_chain


def test_a_good_chain_loads_with_its_algorithm(tmp_path):
    cert, key = write_chain(tmp_path)
    credentials = load_credentials(str(cert), str(key))
    assert credentials.alg == "ES256"
    assert "PRIVATE" not in repr(credentials)
    line, warning = describe(credentials)
    assert "valid until" in line and warning is None
    soon = describe(credentials, now=datetime.now(UTC) + timedelta(days=80))[1]
    assert soon and "renew" in soon


@pytest.mark.parametrize(
    ("broken", "says"),
    [
        ({"wrong_key": True}, "does not match"),
        ({"leaf_days": (-10, -1)}, "expired"),
        ({"leaf_days": (2, 30)}, "not valid before"),
        ({"leaf_only": True}, "one certificate"),
    ],
)
def test_what_cannot_sign_is_named(tmp_path, broken, says):
    cert, key = write_chain(tmp_path, **broken)
    with pytest.raises(CredentialsError, match=says):
        load_credentials(str(cert), str(key))


def test_certificates_that_do_not_issue_each_other_are_not_a_chain(tmp_path):
    cert, key = write_chain(tmp_path / "a")
    other, _ = write_chain(tmp_path / "b")
    leaf = cert.read_text().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    their_ca = "-----BEGIN CERTIFICATE-----" + other.read_text().split("-----BEGIN CERTIFICATE-----")[2]
    cert.write_text(leaf + their_ca)
    with pytest.raises(CredentialsError, match="not a chain"):
        load_credentials(str(cert), str(key))


def test_doctor_reports_the_certificate(tmp_path):
    cert, key = write_chain(tmp_path / "good")
    config = load_config({"DAILIES_C2PA_CERT": str(cert), "DAILIES_C2PA_KEY": str(key)}, dotenv=None)
    ok, problems = [], []
    c2pa_checks(config, ok, problems)
    assert problems == [] and "valid until" in ok[0]
    bad_cert, bad_key = write_chain(tmp_path / "bad", wrong_key=True)
    config = load_config({"DAILIES_C2PA_CERT": str(bad_cert), "DAILIES_C2PA_KEY": str(bad_key)}, dotenv=None)
    ok, problems = [], []
    c2pa_checks(config, ok, problems)
    assert "unsigned" in problems[0] and "does not match" in problems[0]
    assert "BEGIN" not in problems[0]
    ok, problems = [], []
    c2pa_checks(load_config({}, dotenv=None), ok, problems)
    assert problems == [] and "signing is off" in ok[0]


def test_both_paths_or_neither_each_a_readable_file(tmp_path):
    cert, key = write_chain(tmp_path)
    with pytest.raises(ConfigError, match="DAILIES_C2PA_KEY is not set"):
        load_config({"DAILIES_C2PA_CERT": str(cert)}, dotenv=None)
    with pytest.raises(ConfigError, match="DAILIES_C2PA_CERT=.* is not a readable file"):
        load_config(
            {"DAILIES_C2PA_CERT": str(tmp_path / "nope.pem"), "DAILIES_C2PA_KEY": str(key)}, dotenv=None
        )
    config = load_config({"DAILIES_C2PA_CERT": str(cert), "DAILIES_C2PA_KEY": str(key)}, dotenv=None)
    assert (config.c2pa_cert, config.c2pa_key) == (str(cert), str(key))


@pytest.mark.parametrize(
    ("kind", "first"),
    [("generate", "c2pa.created"), ("again", "c2pa.created"), ("final", "c2pa.created"),
     ("edit", "c2pa.opened"), ("extend", "c2pa.opened"), ("lipsync", "c2pa.opened")],
)  # fmt: skip
def test_jobs_that_work_on_an_earlier_clip_are_edits(kind, first):
    facts = ClipFacts("m", "p", kind, "t.mp4", source=SourceClip(1, 1, "m0"))
    actions = manifest_definition(facts, provider_parent=False)["assertions"][0]["data"]["actions"]
    assert actions[0]["action"] == first
    assert actions[-1]["action"] == ("c2pa.created" if first == "c2pa.created" else "c2pa.edited")
