"""Court fees (诉讼费用交纳办法, 2007): the case fee (第13条(一)), the enforcement fee (第14条(一))
and the preservation fee (第14条(二)). The bands are parameters (workout_policy.yaml `fees`)
so that a change of the schedule needs no code; each schedule is cumulative: every band's
rate applies to the part of the amount inside it, above a flat fee for the first band."""
from __future__ import annotations


def banded_fee(amount: float, schedule) -> float:
    """`schedule`: flat fee up to `flat_up_to`, then `bands` [(up_to or None, rate)] on each
    part above, capped at `max_fee` when given."""
    amount = max(0.0, float(amount))
    fee = float(schedule.flat)
    lower = float(schedule.flat_up_to)
    for band in schedule.bands:
        if amount <= lower:
            break
        upper = amount if band.up_to is None else min(amount, float(band.up_to))
        fee += (upper - lower) * band.rate
        lower = upper if band.up_to is None else float(band.up_to)
    if schedule.max_fee is not None:
        fee = min(fee, float(schedule.max_fee))
    return round(fee, 2)
