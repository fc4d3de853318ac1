"""`/video models` rows: a model that cannot run here names the first of its catalogue alternatives
that can, else what its backend suggests."""

from __future__ import annotations

from bot.cards.answers import model_rows, models_text
from bot.providers.base import Availability
from bot.request.catalogue import load_catalogue, shipped_catalogue


def routes(catalogue, down: dict[str, Availability]) -> dict[str, tuple[str, Availability]]:
    return {m: ("aimlapi", down.get(m, Availability(True))) for m in catalogue}


def test_an_unavailable_model_names_its_first_living_alternative():
    catalogue = shipped_catalogue()
    gone = Availability(False, "the gateway no longer serves it", suggestion="preview")
    rows = {r["id"]: r for r in model_rows(routes(catalogue, {"sora-2": gone}), catalogue)}
    assert rows["sora-2"]["suggestion"] == "kling-v3"  # the catalogue's, not the backend's
    assert "`sora-2` on *aimlapi (unavailable" in models_text(list(rows.values()))
    assert "Use `kling-v3` instead." in models_text(list(rows.values()))
    both_gone = {"sora-2": gone, "kling-v3": Availability(False, "no")}
    rows = {r["id"]: r for r in model_rows(routes(catalogue, both_gone), catalogue)}
    assert rows["sora-2"]["suggestion"] == "preview"  # no alternative runs: the backend's word


def test_an_override_file_changes_the_alternatives(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text('[models."sora-2"]\nalternatives = ["veo-3.1-fast", "kling-v3"]\n')
    catalogue = load_catalogue(str(path))
    gone = Availability(False, "retired")
    rows = {r["id"]: r for r in model_rows(routes(catalogue, {"sora-2": gone}), catalogue)}
    assert rows["sora-2"]["suggestion"] == "veo-3.1-fast"
