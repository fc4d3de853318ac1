"""Dollars have one written form everywhere Dailies shows them."""

from __future__ import annotations

import pytest

from bot.request.money import usd


@pytest.mark.parametrize(
    ("amount", "written"),
    [(0.42, "$0.42"), (1.0, "$1.00"), (1234.5, "$1,234.50"), (0.005, "$0.01"), (0, "$0.00"), (None, "$0.00")],
)
def test_usd_is_dollars_to_the_cent_with_thousands_grouped(amount, written):
    assert usd(amount) == written
