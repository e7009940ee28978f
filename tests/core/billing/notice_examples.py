"""Worked examples of SPEC §7.1 rule 7 (contract-terms notice from the cancellation, Reepay's
`fixation_periods` / `fixation_periods_full`), shared by the engine, CLI and billing-run tests.

Each example: a Reepay plan object, the start, the cancellation request (Berlin wall time),
the expected expiry (Berlin wall time) and the gross amounts of every plan invoice issued
before it. Proration counts whole local days, the start day counting as a full one.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple


class Example(NamedTuple):
    id: str
    plan: dict
    start: datetime
    cancel_at: datetime
    expires: datetime
    amounts: list[int]


YEARLY_CONTRACT = {"handle": "yearly", "name": "Yearly", "amount": 29000,
                   "schedule_type": "month_startdate", "interval_length": 12,
                   "contract_period_length": 12, "contract_period_unit": "months",
                   "notice_period_length": 1, "notice_period_unit": "months"}
MONTHLY_CONTRACT = {"handle": "monthly", "name": "Monthly", "amount": 10000,
                    "schedule_type": "month_fixedday", "schedule_fixed_day": 1,
                    "contract_period_length": 12, "contract_period_unit": "months",
                    "notice_period_length": 1, "notice_period_unit": "months"}
MONTHLY_NOTICE = {"handle": "notice", "name": "Notice", "amount": 10000,
                  "schedule_type": "month_fixedday", "schedule_fixed_day": 1,
                  "notice_period_length": 1, "notice_period_unit": "months"}
FIXATION = {"handle": "fix", "name": "Fix", "amount": 10000,
            "schedule_type": "month_fixedday", "schedule_fixed_day": 1, "fixation_periods": 3}

EXAMPLES = [
    # The example: notice (1 Dec + 1 month = 1 Jan) fits before the term end 2 Jul.
    Example("yearly-notice-in-time", YEARLY_CONTRACT, datetime(2026, 7, 2),
            datetime(2026, 12, 1), datetime(2027, 7, 2), [29000]),
    # 15 Jun + 1 month = 15 Jul, past the term end: the contract renews for 12 months.
    Example("yearly-notice-too-late", YEARLY_CONTRACT, datetime(2026, 7, 2),
            datetime(2027, 6, 15), datetime(2028, 7, 2), [29000, 29000]),
    # The same flag Reepay uses for notice_periods changes nothing for the calendar notice.
    Example("yearly-notice-not-after-current",
            {**YEARLY_CONTRACT, "notice_periods_after_current": False}, datetime(2026, 7, 2),
            datetime(2026, 12, 1), datetime(2027, 7, 2), [29000]),
    Example("monthly-notice-in-time", MONTHLY_CONTRACT, datetime(2026, 1, 1),
            datetime(2026, 11, 30, 12), datetime(2027, 1, 1), [10000] * 12),
    Example("monthly-notice-too-late", MONTHLY_CONTRACT, datetime(2026, 1, 1),
            datetime(2026, 12, 15), datetime(2028, 1, 1), [10000] * 24),
    # No contract: L = 10 Mar 12:00 + 1 month, inside April: 1–10 Apr billed 10/30.
    Example("monthly-notice-without-contract", MONTHLY_NOTICE, datetime(2026, 1, 1),
            datetime(2026, 3, 10, 12), datetime(2026, 4, 10, 12), [10000, 10000, 10000, 3333]),
    # A notice ending before the period end: the period runs out.
    Example("monthly-short-notice-without-contract",
            {**MONTHLY_NOTICE, "notice_period_length": 5, "notice_period_unit": "days"},
            datetime(2026, 1, 1), datetime(2026, 3, 10, 12), datetime(2026, 4, 1),
            [10000, 10000, 10000]),
    # Partial first period 14–31 Mar (18/31 = 58.06): false → 14 Mar + 3 months = 14 Jun,
    # the last period 1–14 Jun partial (13/30 = 43.33), about three periods paid.
    Example("fixation-partial-first", FIXATION, datetime(2026, 3, 14), datetime(2026, 3, 20),
            datetime(2026, 6, 14), [5806, 10000, 10000, 4333]),
    # true → the end of the period containing 14 Jun.
    Example("fixation-partial-first-full", {**FIXATION, "fixation_periods_full": True},
            datetime(2026, 3, 14), datetime(2026, 3, 20), datetime(2026, 7, 1),
            [5806, 10000, 10000, 10000]),
    # No partial first period: both give first period start + 3 periods.
    Example("fixation-whole-first", FIXATION, datetime(2026, 3, 1), datetime(2026, 3, 20),
            datetime(2026, 6, 1), [10000, 10000, 10000]),
    Example("fixation-whole-first-full", {**FIXATION, "fixation_periods_full": True},
            datetime(2026, 3, 1), datetime(2026, 3, 20), datetime(2026, 6, 1),
            [10000, 10000, 10000]),
    # Cancelled after the minimum: the current period runs out.
    Example("fixation-cancel-after-minimum", FIXATION, datetime(2026, 3, 14),
            datetime(2026, 7, 20), datetime(2026, 8, 1), [5806, 10000, 10000, 10000, 10000]),
]
