"""Plain-language texts about a plan's schedule, shared by the schemas and the services (pure:
no database)."""

from __future__ import annotations

from core.i18n import N_, _

WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
            N_("Saturday"), N_("Sunday"))


def billing_frequency_text(schedule_type: str, interval_length: int,
                           schedule_fixed_day: int | None) -> str:
    """"daily", "every 3 days", "weekly on Monday", "monthly", "every 3 months on day 1",
    "monthly on the last day", "manual"."""
    n = interval_length or 1
    if schedule_type == "manual":
        return _("manual")
    if schedule_type == "daily":
        return _("daily") if n == 1 else _("every {n} days").format(n=n)
    if schedule_type == "weekly_fixedday":
        day = schedule_fixed_day or 1
        weekday = _(WEEKDAYS[day - 1]) if 1 <= day <= 7 else str(day)
        return (_("weekly on {weekday}") if n == 1 else _("every {n} weeks on {weekday}")
                ).format(n=n, weekday=weekday)
    if schedule_type == "month_fixedday":
        return (_("monthly on day {day}") if n == 1 else _("every {n} months on day {day}")
                ).format(n=n, day=schedule_fixed_day)
    if schedule_type == "month_lastday":
        return (_("monthly on the last day") if n == 1
                else _("every {n} months on the last day")).format(n=n)
    return _("monthly") if n == 1 else _("every {n} months").format(n=n)  # month_startdate
