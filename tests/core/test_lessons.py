"""SPEC §4.1 worked through with real dates: core.lessons.lesson_states, rule by rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.lessons import LessonRangeError, Pause, count_open, lesson_states, open_count
from core.schemas.access_template import AccessTemplate, LessonSpec

B = ZoneInfo("Europe/Berlin")
S = datetime(2026, 3, 20, 15, 0, tzinfo=B)
SPEC_PAUSE = (datetime(2026, 3, 25, 10, tzinfo=B), datetime(2026, 3, 27, 9, tzinfo=B))


def lessons(*delays, checkpoints=(), open_on=None):
    open_on = open_on or {}
    return [LessonSpec(title=f"L{i}", delay_days=d, checkpoint=i in checkpoints,
                       open_on=open_on.get(i)) for i, d in enumerate(delays, start=1)]


def run(items, at, *, start=S, pauses=(), accepted=(), tz="Europe/Berlin", **template):
    template.setdefault("release", "delays")
    return lesson_states(items, AccessTemplate(**template), start, at=at, pauses=pauses,
                         accepted=accepted, tz=tz)


def iso(preview):
    return [s.opens_at.isoformat() if s.opens_at else None for s in preview.lessons]


def states(preview):
    return [s.state for s in preview.lessons]


# -- the SPEC example ----------------------------------------------------------------------


def test_the_spec_example_exactly():
    p = run(lessons(0, 2, 9, 10), datetime(2026, 4, 2, tzinfo=B), pauses=[SPEC_PAUSE])
    assert iso(p) == ["2026-03-20T15:00:00+01:00", "2026-03-22T00:00:00+01:00",
                      "2026-03-31T00:00:00+02:00", "2026-04-01T00:00:00+02:00"]
    assert states(p) == ["open"] * 4
    assert p.start.isoformat() == "2026-03-20T15:00:00+01:00" and p.end is None


def test_the_spec_example_without_the_pause_crosses_the_spring_switch():
    p = run(lessons(0, 2, 9, 10), datetime(2026, 3, 29, tzinfo=B))
    # 29 March 2026: midnight still exists (+01:00), the next one is summer time.
    assert iso(p)[2:] == ["2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00"]
    assert states(p) == ["open", "open", "open", "scheduled"]


def test_at_exactly_an_opening_moment_is_open_a_microsecond_before_is_scheduled():
    items = lessons(0, 2, 9, 10)
    opening = datetime(2026, 3, 31, tzinfo=B)
    assert states(run(items, opening, pauses=[SPEC_PAUSE]))[2] == "open"
    p = run(items, opening - timedelta(microseconds=1), pauses=[SPEC_PAUSE])
    assert p.lessons[2].state == "scheduled"
    assert p.lessons[2].opens_at.isoformat() == "2026-03-31T00:00:00+02:00"


def test_during_the_pause_lessons_open_before_it_stay_open():
    p = run(lessons(0, 2, 9, 10), datetime(2026, 3, 26, tzinfo=B), pauses=[SPEC_PAUSE])
    assert states(p) == ["open", "open", "scheduled", "scheduled"]


# -- rule 4: opening moments, DST ----------------------------------------------------------


def test_delays_across_the_autumn_switch():
    start = datetime(2026, 10, 20, 15, tzinfo=B)
    p = run(lessons(0, 5, 6), datetime(2026, 10, 25, 12, tzinfo=B), start=start)
    assert iso(p) == ["2026-10-20T15:00:00+02:00", "2026-10-25T00:00:00+02:00",
                      "2026-10-26T00:00:00+01:00"]
    assert states(p) == ["open", "open", "scheduled"]


def test_a_pause_is_counted_in_elapsed_hours_across_the_autumn_switch():
    # 24 October 12:00 → 25 October 11:30 is 24.5 hours (the night has 25): k = 2.
    start = datetime(2026, 10, 20, 15, tzinfo=B)
    pause = (datetime(2026, 10, 24, 12, tzinfo=B), datetime(2026, 10, 25, 11, 30, tzinfo=B))
    p = run(lessons(5), datetime(2026, 10, 20, tzinfo=B), start=start, pauses=[pause])
    assert iso(p) == ["2026-10-27T00:00:00+01:00"]


def test_a_pause_over_the_spring_switch_keeps_the_local_time_of_day():
    start = datetime(2026, 3, 27, 15, tzinfo=B)
    pause = (start, datetime(2026, 3, 28, 16, tzinfo=B))  # 25 h: k = 2
    p = run(lessons(0), start, start=start, pauses=[pause], release="none")
    assert iso(p) == ["2026-03-29T15:00:00+02:00"]
    assert states(p) == ["scheduled"]


def test_a_midnight_inside_a_dst_gap_is_the_first_moment_of_that_day():
    havana = ZoneInfo("America/Havana")  # 10 March 2024: 00:00 → 01:00
    start = datetime(2024, 3, 8, 10, tzinfo=havana)
    p = run(lessons(0, 1, 2), datetime(2024, 3, 10, 0, 30, tzinfo=UTC), start=start,
            tz="America/Havana")
    assert iso(p) == ["2024-03-08T10:00:00-05:00", "2024-03-09T00:00:00-05:00",
                      "2024-03-10T01:00:00-04:00"]
    # A midnight moved onto the gap day by a pause is the start of that day too.
    pause = (datetime(2024, 3, 8, 12, tzinfo=havana), datetime(2024, 3, 9, 11, tzinfo=havana))
    p = run(lessons(0, 1), start, start=start, tz="America/Havana", pauses=[pause])
    assert iso(p)[1] == "2024-03-10T01:00:00-04:00"


def test_fixed_dates_before_the_start_and_lessons_without_a_date_open_at_the_start():
    items = lessons(0, 0, 0, 0, open_on={1: date(2026, 3, 1), 2: date(2026, 3, 20),
                                         3: date(2026, 4, 2)})
    p = run(items, datetime(2026, 4, 1, tzinfo=B), release="dates")
    assert iso(p) == ["2026-03-20T15:00:00+01:00", "2026-03-20T15:00:00+01:00",
                      "2026-04-02T00:00:00+02:00", "2026-03-20T15:00:00+01:00"]
    assert states(p) == ["open", "open", "scheduled", "open"]


def test_a_fixed_date_after_the_start_day_opens_at_its_midnight():
    items = lessons(0, open_on={1: date(2026, 3, 21)})
    assert iso(run(items, S, release="dates")) == ["2026-03-21T00:00:00+01:00"]


def test_release_none_opens_everything_at_the_start_whatever_the_delays_and_dates():
    items = lessons(0, 3, 40, open_on={3: date(2027, 1, 1)})
    p = run(items, S, release="none")
    assert iso(p) == [S.isoformat()] * 3 and states(p) == ["open"] * 3


def test_delays_ignore_fixed_dates():
    items = lessons(0, 3, open_on={2: date(2026, 3, 21)})
    assert iso(run(items, S))[1] == "2026-03-23T00:00:00+01:00"


# -- rule 1: tariff ------------------------------------------------------------------------


def test_first_n():
    p = run(lessons(0, 0, 0, 0), S, open_lessons={"first": 2})
    assert states(p) == ["open", "open", "not_in_tariff", "not_in_tariff"]
    assert iso(p)[2:] == [None, None]
    assert p.count() == (2, 2)
    assert run(lessons(0, 0), S, open_lessons={"first": 0}).count() == (0, 0)
    assert states(run(lessons(0, 0), S, open_lessons={"first": 9})) == ["open", "open"]


def test_only_set():
    p = run(lessons(0, 2, 0, 5), S + timedelta(days=3), open_lessons={"only": [4, 1, 2]})
    assert states(p) == ["open", "open", "not_in_tariff", "scheduled"]
    assert p.count() == (2, 3)


def test_a_lesson_outside_the_tariff_never_opens_not_even_after_the_end():
    p = run(lessons(0, 0), S + timedelta(days=400), open_lessons={"only": [1]},
            duration={"length": 30, "unit": "days"})
    assert states(p) == ["ended", "not_in_tariff"]


# -- rule 3: checkpoints -------------------------------------------------------------------


def test_checkpoints_on_block_what_follows_an_unaccepted_checkpoint():
    items = lessons(0, 0, 0, 0, checkpoints={2})
    later = S + timedelta(days=1)
    p = run(items, later, checkpoints=True)
    assert states(p) == ["open", "open", "blocked", "blocked"]
    assert iso(p)[2:] == [None, None]
    assert states(run(items, later, checkpoints=True, accepted=[2])) == ["open"] * 4
    assert states(run(items, later, checkpoints=False)) == ["open"] * 4


def test_two_checkpoints_the_second_not_accepted():
    items = lessons(0, 0, 0, 0, 0, checkpoints={1, 3})
    p = run(items, S, checkpoints=True, accepted=[1])
    assert states(p) == ["open", "open", "open", "blocked", "blocked"]
    # Accepting a lesson that is no checkpoint changes nothing.
    assert states(run(items, S, checkpoints=True, accepted=[2])) == ["open"] + ["blocked"] * 4


def test_a_checkpoint_outside_the_tariff_blocks_nothing():
    items = lessons(0, 0, 0, checkpoints={2})
    p = run(items, S, checkpoints=True, open_lessons={"only": [1, 3]})
    assert states(p) == ["open", "not_in_tariff", "open"]


def test_a_blocked_lesson_is_blocked_whatever_its_date_and_a_scheduled_checkpoint_blocks():
    items = lessons(0, 5, 0, checkpoints={2})
    p = run(items, S, checkpoints=True)
    assert states(p) == ["open", "scheduled", "blocked"]


# -- rule 2: end ---------------------------------------------------------------------------


def test_end_in_days_keeps_the_local_time_of_day():
    p = run(lessons(0), S, duration={"length": 30, "unit": "days"})
    assert p.end.isoformat() == "2026-04-19T15:00:00+02:00"


@pytest.mark.parametrize("start, months, end", [
    (datetime(2026, 1, 31, 10, tzinfo=B), 1, "2026-02-28T10:00:00+01:00"),
    (datetime(2028, 1, 31, 10, tzinfo=B), 1, "2028-02-29T10:00:00+01:00"),
    (datetime(2026, 1, 31, 10, tzinfo=B), 3, "2026-04-30T10:00:00+02:00"),
    (datetime(2026, 3, 31, 0, tzinfo=B), 13, "2027-04-30T00:00:00+02:00"),
])
def test_end_in_months_clamps_to_the_end_of_a_shorter_month(start, months, end):
    p = run(lessons(0), start, start=start, duration={"length": months, "unit": "months"})
    assert p.end.isoformat() == end


def test_at_the_end_every_lesson_in_the_tariff_is_ended_and_blocked_ones_too():
    items = lessons(0, 0, 40, checkpoints={1})
    kw = {"duration": {"length": 30, "unit": "days"}, "checkpoints": True,
          "open_lessons": {"first": 3}}
    end = datetime(2026, 4, 19, 15, tzinfo=B)
    assert states(run(items, end, **kw)) == ["ended"] * 3
    assert iso(run(items, end, **kw)) == [None] * 3
    assert states(run(items, end - timedelta(microseconds=1), **kw)) == [
        "open", "blocked", "blocked"]
    assert states(run(items, end - timedelta(microseconds=1), **{**kw, "checkpoints": False})
                  ) == ["open", "open", "scheduled"]


def test_a_pause_moves_the_end():
    p = run(lessons(0), S, pauses=[SPEC_PAUSE], duration={"length": 30, "unit": "days"})
    assert p.end.isoformat() == "2026-04-21T15:00:00+02:00"


def test_an_end_before_the_pause_does_not_move():
    p = run(lessons(0), datetime(2026, 3, 24, tzinfo=B), pauses=[SPEC_PAUSE],
            duration={"length": 3, "unit": "days"})
    assert p.end.isoformat() == "2026-03-23T15:00:00+01:00"
    assert states(p) == ["ended"]


def test_unlimited_never_ends():
    p = run(lessons(0), datetime(2199, 12, 31, tzinfo=B))
    assert p.end is None and states(p) == ["open"]


# -- rule 5: pauses ------------------------------------------------------------------------


def test_an_unresumed_pause_holds_every_moment_after_it_and_the_end():
    p = run(lessons(0, 2, 9, 10), datetime(2030, 1, 1, tzinfo=B),
            pauses=[(SPEC_PAUSE[0], None)], duration={"length": 30, "unit": "days"})
    assert states(p) == ["open", "open", "scheduled", "scheduled"]
    assert iso(p)[2:] == [None, None]
    assert p.end is None and p.end_held
    # Before its opening a lesson that opens before P is scheduled, with its date.
    p = run(lessons(0, 2, 9), datetime(2026, 3, 21, tzinfo=B), pauses=[Pause(SPEC_PAUSE[0])])
    assert states(p) == ["open", "scheduled", "scheduled"]
    assert iso(p)[1:] == ["2026-03-22T00:00:00+01:00", None]


def test_an_unresumed_pause_after_the_end_leaves_the_end():
    p = run(lessons(0), datetime(2026, 4, 30, tzinfo=B), pauses=[(SPEC_PAUSE[0], None)],
            duration={"length": 3, "unit": "days"})
    assert not p.end_held and p.end.isoformat() == "2026-03-23T15:00:00+01:00"
    assert states(p) == ["ended"]


def test_several_pauses_apply_in_order_each_on_the_previous_result():
    p1 = (datetime(2026, 3, 21, 12, tzinfo=B), datetime(2026, 3, 22, 12, tzinfo=B))  # k = 1
    p2 = (datetime(2026, 3, 28, 12, tzinfo=B), datetime(2026, 3, 28, 13, tzinfo=B))  # k = 1
    items = lessons(0, 2, 8)
    expected = ["2026-03-20T15:00:00+01:00", "2026-03-23T00:00:00+01:00",
                # 28 March 00:00 → (p1) 29 March 00:00, now after p2's start → 30 March.
                "2026-03-30T00:00:00+02:00"]
    assert iso(run(items, S, pauses=[p1, p2])) == expected
    assert iso(run(items, S, pauses=[p2, p1])) == expected  # order of P, not of the list


def test_a_pause_before_the_start_moves_the_start_lesson_and_the_end():
    pause = (datetime(2026, 3, 19, 8, tzinfo=B), datetime(2026, 3, 19, 9, tzinfo=B))
    p = run(lessons(0), S, pauses=[pause], duration={"length": 1, "unit": "days"})
    assert iso(p) == ["2026-03-21T15:00:00+01:00"] and states(p) == ["scheduled"]
    assert p.end.isoformat() == "2026-03-22T15:00:00+01:00"


def test_a_pause_starting_exactly_at_an_opening_moment_moves_it():
    pause = (datetime(2026, 3, 22, tzinfo=B), datetime(2026, 3, 22, 0, 1, tzinfo=B))
    assert iso(run(lessons(0, 2), S, pauses=[pause]))[1] == "2026-03-23T00:00:00+01:00"


# -- counting and errors -------------------------------------------------------------------


def test_open_lessons_today_7_of_12():
    items = lessons(*range(12))
    at = datetime(2026, 3, 26, 12, tzinfo=B)  # delays 0..6 have opened
    assert open_count(items, AccessTemplate(release="delays"), S, at=at) == (7, 12)
    p = run(items, at, open_lessons={"first": 10})
    assert count_open(p.lessons) == (7, 10)


def test_bad_arguments_raise():
    with pytest.raises(ValueError):
        run(lessons(0), S.replace(tzinfo=None))
    with pytest.raises(ValueError):
        run(lessons(0), S, pauses=[(SPEC_PAUSE[1], SPEC_PAUSE[0])])
    with pytest.raises(ValueError):
        run(lessons(0), S, pauses=[(SPEC_PAUSE[0], SPEC_PAUSE[0])])
    with pytest.raises(LessonRangeError):
        run(lessons(2**31 - 1), S)


def test_output_is_in_the_account_zone():
    p = run(lessons(0, 1), S.astimezone(UTC), tz="Europe/Rome")
    assert iso(p) == ["2026-03-20T15:00:00+01:00", "2026-03-21T00:00:00+01:00"]
    p = run(lessons(0, 1), S, tz="America/New_York")
    assert iso(p)[1] == "2026-03-21T00:00:00-04:00"


# -- properties ----------------------------------------------------------------------------

ZONES = ["Europe/Berlin", "America/Havana", "America/New_York", "Australia/Lord_Howe", "UTC"]
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31),
                       timezones=st.just(UTC))
lesson_st = st.builds(LessonSpec, delay_days=st.integers(0, 400),
                      open_on=st.none() | st.dates(date(2019, 1, 1), date(2032, 1, 1)),
                      checkpoint=st.booleans())
open_st = st.just("all") | st.builds(lambda n: {"first": n}, st.integers(0, 12)) | st.builds(
    lambda s: {"only": s}, st.lists(st.integers(1, 12), max_size=12))
template_st = st.builds(
    AccessTemplate, open_lessons=open_st, release=st.sampled_from(["none", "delays", "dates"]),
    checkpoints=st.booleans(),
    duration=st.none() | st.builds(lambda n, u: {"length": n, "unit": u}, st.integers(1, 400),
                                   st.sampled_from(["days", "months"])))


@st.composite
def pauses_st(draw, max_size=3):
    out = []
    for _ in range(draw(st.integers(0, max_size))):
        p = draw(moments)
        if draw(st.integers(0, 9)) == 0:
            out.append((p, None))
        else:
            out.append((p, p + draw(st.timedeltas(timedelta(seconds=1), timedelta(days=60)))))
    return out


case = st.fixed_dictionaries({
    "lessons": st.lists(lesson_st, min_size=1, max_size=12), "template": template_st,
    "start": moments, "at": moments, "pauses": pauses_st(),
    "accepted": st.lists(st.integers(1, 12), max_size=4), "tz": st.sampled_from(ZONES)})
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run(c, **over):
    c = {**c, **over}
    return lesson_states(c["lessons"], c["template"], c["start"], at=c["at"],
                         pauses=c["pauses"], accepted=c["accepted"], tz=c["tz"])


@FAST
@given(case)
def test_opens_at_is_never_before_the_start_and_only_open_or_scheduled_carry_it(c):
    p = _run(c)
    for s in p.lessons:
        if s.opens_at is not None:
            assert s.opens_at >= c["start"] and s.state in ("open", "scheduled")
        if s.state == "open":
            assert s.opens_at <= c["at"]
        if s.state in ("not_in_tariff", "blocked", "ended"):
            assert s.opens_at is None
    if p.end is not None:
        assert p.end > c["start"]


@FAST
@given(case)
def test_a_pause_never_makes_a_lesson_open_earlier(c):
    without = _run(c, pauses=[]).lessons
    with_pauses = _run(c).lessons
    for a, b in zip(without, with_pauses):
        if a.opens_at is not None and b.opens_at is not None:
            assert b.opens_at >= a.opens_at
        if b.state == "open":
            assert a.state in ("open", "ended")


@FAST
@given(case)
def test_with_checkpoints_off_nothing_is_blocked(c):
    template = c["template"].model_copy(update={"checkpoints": False})
    assert "blocked" not in states(_run(c, template=template))


@FAST
@given(case, st.timedeltas(timedelta(0), timedelta(days=500)))
def test_open_stays_open_later_until_the_end(c, later):
    """Monotonic in `at`: an open lesson stays open at a later moment, or the access ended."""
    now = _run(c).lessons
    then = _run(c, at=c["at"] + later).lessons
    for a, b in zip(now, then):
        if a.state == "open":
            assert b.state in ("open", "ended")
            if b.state == "open":
                assert b.opens_at == a.opens_at
        if a.state == "ended":
            assert b.state == "ended"


@FAST
@given(case, st.integers(1, 12))
def test_accepting_a_checkpoint_never_blocks_more(c, extra):
    before = states(_run(c))
    after = states(_run(c, accepted=[*c["accepted"], extra]))
    assert after.count("blocked") <= before.count("blocked")
    for a, b in zip(before, after):
        if a != "blocked":
            assert b == a


@FAST
@given(case)
def test_the_pause_order_given_does_not_matter(c):
    assert _run(c) == _run(c, pauses=list(reversed(c["pauses"])))
