"""Dollars as Dailies writes them for people: `$1,234.50`, the one format for costs, estimates,
budgets and spend on cards, answers, the Home tab and the screening room."""

from __future__ import annotations


def usd(amount: float | None) -> str:
    """`amount` in dollars to the cent, thousands grouped; no amount (None) reads as $0.00."""
    return f"${amount or 0:,.2f}"
