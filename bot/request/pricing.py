"""What a render costs: a model's price per second (from its catalogue row) and the estimate."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from bot.request.catalogue import ModelSpec


def price_per_second(
    model: ModelSpec, *, resolution: str, audio: bool, with_video: bool = False, motion: bool = False
) -> float:
    """USD per second of output. ValueError for a resolution the model does not render."""
    wanted = ["motion"] if motion else []
    wanted += ["video"] if with_video else []
    wanted += ["audio" if audio else "silent", "any"]
    prices = {(res, variant): price for res, variant, price in model.prices}
    for variant in wanted:
        price = prices.get((resolution, variant))
        if price is not None:
            return price
    raise ValueError(f"{model.id} has no price at {resolution!r}")


def estimate_cost(
    model: ModelSpec,
    *,
    seconds: float,
    resolution: str,
    audio: bool,
    takes: int = 1,
    with_video: bool = False,
    motion: bool = False,
) -> float:
    """Estimated USD for `takes` clips of `seconds` each, rounded half-up to cents."""
    per_second = price_per_second(
        model, resolution=resolution, audio=audio, with_video=with_video, motion=motion
    )
    # Decimal so that e.g. 0.14 * 10 is exactly 1.40, not 1.4000000000000001
    total = Decimal(str(per_second)) * Decimal(str(seconds)) * takes
    return float(total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
