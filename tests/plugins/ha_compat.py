"""Makes the test harness work on every Home Assistant version we test, and fails on deprecations.

Loaded with ``-p tests.plugins.ha_compat`` (pyproject.toml's ``addopts``), which pytest imports
before the plugins it finds through entry points, Home Assistant's test plugin
(pytest-homeassistant-custom-component) among them. Each workaround says which version needs it
and why; on a version that does not need it, it does nothing.
"""

from __future__ import annotations

from collections.abc import Generator
import logging
import re

import pytest

# Home Assistant 2026.3 and later replace httpx by httpx2 and alias ``httpx`` to it when the
# ``homeassistant`` package is first imported; that refuses to run once the real httpx is
# imported. The test plugin imports respx, which imports httpx, before anything imports Home
# Assistant, so the test session would stop at start-up. Importing Home Assistant first, here,
# makes the alias happen before.
import homeassistant  # noqa: F401  # isort: skip

# Home Assistant 2026.11 moved ``_clear_logger_overwrites`` from the logger integration's
# package to its ``helpers`` module; the newest test plugin (0.13.375, made for 2026.10) still
# imports it from the package. Put it back where the plugin looks.
import homeassistant.components.logger as _logger_integration  # isort: skip

if not hasattr(_logger_integration, "_clear_logger_overwrites"):
    from homeassistant.components.logger import helpers as _logger_helpers

    _logger_integration._clear_logger_overwrites = (  # type: ignore[attr-defined]
        _logger_helpers._clear_logger_overwrites
    )


# Home Assistant reports deprecated use by an integration in its log, as a warning, and carries
# on: through homeassistant.helpers.frame ("Detected that custom integration 'immich_hub' ...
# This will stop working in Home Assistant ...") and homeassistant.helpers.deprecation ("The
# deprecated constant X was used from immich_hub"). A test suite that passes would never show
# them, so every such report about Immich Hub fails the test during which it was logged, or the
# session when it was logged outside a test (at import).
OURS = re.compile(r"\bimmich_hub\b")
DEPRECATION = re.compile(r"deprecat|will stop working|will be removed", re.IGNORECASE)


class DeprecationReports(logging.Handler):
    """Keeps every warning Home Assistant logs about deprecated use by Immich Hub."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.reports: list[str] = []
        self.claimed = 0
        """Reports up to this index were logged during a test phase, which failed for them."""
        self.unclaimed: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record when it reports deprecated use by Immich Hub."""
        message = record.getMessage()
        if DEPRECATION.search(message) and (
            OURS.search(message) or record.name.startswith("custom_components.immich_hub")
        ):
            self.reports.append(f"{record.name}: {message}")

    def since(self, start: int) -> list[str]:
        """Return the reports from ``start`` on; those before ``start`` came outside a test."""
        self.unclaimed += self.reports[self.claimed : start]
        self.claimed = len(self.reports)
        return self.reports[start:]


REPORTS = DeprecationReports()
# Installed at import, so that reports while test modules and the integration are imported count.
logging.getLogger().addHandler(REPORTS)
_START = pytest.StashKey[int]()


def _fail(report: pytest.TestReport | pytest.CollectReport, reports: list[str]) -> None:
    """Turn a passing report into a failure that lists the deprecation reports."""
    if reports and not report.failed:
        report.outcome = "failed"
        report.longrepr = "Home Assistant reported deprecated use by Immich Hub:\n" + "\n".join(
            reports
        )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Note where the test's reports begin, before its fixtures are set up."""
    item.stash[_START] = len(REPORTS.reports)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Fail the test (call phase) or its teardown when reports were logged during it.

    Reports from fixture set-up count for the call, so that the test itself fails.
    """
    report = yield
    if call.when == "setup" and report.passed:
        return report
    new = REPORTS.since(item.stash.get(_START, len(REPORTS.reports)))
    item.stash[_START] = len(REPORTS.reports)
    _fail(report, new)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """Fail the collection of a test module whose import logged reports."""
    start = len(REPORTS.reports)
    report = yield
    new = REPORTS.since(start)
    _fail(report, new)
    return report


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the session for reports logged outside any test (while importing, say)."""
    REPORTS.since(len(REPORTS.reports))
    if REPORTS.unclaimed:
        session.config.get_terminal_writer().line(
            "Home Assistant reported deprecated use by Immich Hub outside a test:\n"
            + "\n".join(REPORTS.unclaimed),
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
