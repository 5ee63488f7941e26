"""The suite's clock: every test runs at a pinned instant, never at the day CI happens to run.

- Every test runs with the clock travelled to `PINNED` (time then flows on from there, so leases,
  timeouts and "a minute later" still work in the test's own process).
- `@pytest.mark.dated` runs a test once at each of `CHECK_INSTANTS`: the 1st, the 5th, the 31st
  at a year's end (already the 1st in Moscow), a leap day, and the days of the DST switches of a
  time zone that has them. Mark every test whose result depends on "today".
- `@pytest.mark.real_clock` opts out, for tests whose other processes (a worker, `zveno serve`, the
  browser's cookie jar) read the machine's clock, which a pinned clock in this process cannot move.
  Browser tests, `redis` tests and tests that use `live_server` get it automatically.
- `pytest --clock 31st-year-end` (or an ISO instant) runs the whole suite pinned elsewhere.
- The `clock` fixture is the traveller: `clock.shift(dt.timedelta(hours=2))`, `clock.move_to(...)`.
- A fixture wider than one test (module or session) runs before the test's clock is pinned: it
  makes its dated data inside `pinned()`, so the data and the tests share one "today".
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

UTC = dt.UTC
PINNED = dt.datetime(2026, 12, 4, 9, 30, tzinfo=UTC)  # a Friday, 12:30 in Moscow

CHECK_INSTANTS = {
    "1st": dt.datetime(2027, 3, 1, 6, 0, tzinfo=UTC),
    "5th": dt.datetime(2026, 11, 5, 9, 0, tzinfo=UTC),
    "31st-year-end": dt.datetime(2026, 12, 31, 21, 30, tzinfo=UTC),  # 00:30 on 1 Jan in Moscow
    "leap-day": dt.datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
    "dst-spring": dt.datetime(2027, 3, 28, 0, 30, tzinfo=UTC),  # Berlin skips 02:00-03:00
    "dst-autumn": dt.datetime(2027, 10, 31, 0, 30, tzinfo=UTC),  # Berlin falls back at 01:00 UTC
}

AUTO_REAL_CLOCK_FIXTURES = {"live_server", "browser", "page"}


def pytest_addoption(parser):
    parser.addoption(
        "--clock",
        default=None,
        help="pin every test to this instant instead (ISO 8601, or a check instant's name)",
    )


def pytest_configure(config):
    global PINNED
    chosen = config.getoption("--clock")
    if chosen:
        PINNED = CHECK_INSTANTS.get(chosen) or dt.datetime.fromisoformat(chosen)
    config.addinivalue_line("markers", "dated: run at each of the suite's check instants")
    config.addinivalue_line(
        "markers", "real_clock: leave the clock alone (other processes read it)"
    )


def pytest_generate_tests(metafunc):
    if metafunc.definition.get_closest_marker("dated"):
        metafunc.parametrize(
            "clock", list(CHECK_INSTANTS.values()), ids=list(CHECK_INSTANTS), indirect=True
        )


def pytest_collection_modifyitems(items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if (
            item.get_closest_marker("browser")
            or item.get_closest_marker("redis")
            or fixtures & AUTO_REAL_CLOCK_FIXTURES
        ):
            item.add_marker(pytest.mark.real_clock)


def pinned():
    """The suite's pinned instant, for a fixture wider than one test (its data's "today")."""
    return time_machine.travel(PINNED, tick=True)


@pytest.fixture(autouse=True)
def clock(request):
    """The pinned clock (a time-machine traveller), or None under `real_clock`."""
    if request.node.get_closest_marker("real_clock"):
        yield None
        return
    instant = getattr(request, "param", PINNED)
    with time_machine.travel(instant, tick=True) as traveller:
        yield traveller
