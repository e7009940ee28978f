"""Money arithmetic in integer minor units: half-up rounding, proration and VAT (SPEC §7.1 rule 5).

Decisions:
- Rounding is half away from zero ("half-up" for the non-negative amounts billing produces).
- A prorated line is computed once from amount × quantity × fraction (not per unit), so the
  rounding error is at most half a minor unit per line.
- `minimum_prorated_amount` is compared with that prorated line in the plan's own VAT basis
  (gross when `amount_incl_vat`, else net), before VAT is added.
- With `amount_incl_vat` the VAT share is gross − round(gross / (1 + vat)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache


def round_half_up(value: Fraction | int) -> int:
    """Round to an integer, halves away from zero."""
    value = Fraction(value)
    magnitude = math.floor(abs(value) + Fraction(1, 2))
    return magnitude if value >= 0 else -magnitude


def prorate(amount: int, fraction: Fraction, minimum: int = 0) -> int:
    """amount × fraction rounded half-up; a result below `minimum` becomes 0."""
    result = round_half_up(amount * fraction)
    return 0 if result < minimum else result


@dataclass(frozen=True)
class Priced:
    """One line's money: gross (what the customer pays) and the VAT inside it."""

    gross: int
    vat_amount: int

    @property
    def net(self) -> int:
        return self.gross - self.vat_amount


# Billing prices the same few plan amounts again and again; Fraction arithmetic is slow.
@lru_cache(maxsize=8192)
def price(amount: int, vat: Decimal, amount_incl_vat: bool) -> Priced:
    """Split or extend an amount given in the plan's VAT basis into gross and VAT."""
    factor = 1 + Fraction(vat)
    if amount_incl_vat:
        net = round_half_up(Fraction(amount) / factor)
        return Priced(gross=amount, vat_amount=amount - net)
    gross = round_half_up(amount * factor)
    return Priced(gross=gross, vat_amount=gross - amount)
