"""Deprecations reported for Immich Hub fail the tests (tests/plugins/ha_compat.py, pyproject)."""

from __future__ import annotations

from pathlib import Path
import re
import subprocess
import sys

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Each test runs code as if it were a line of the integration's sensor platform, so that Home
# Assistant finds Immich Hub in the stack, as it does for a real call from there.
SESSION = f"""
import warnings

from homeassistant.helpers import frame

SENSOR = {str(ROOT / "custom_components" / "immich_hub" / "sensor.py")!r}


def from_immich_hub(code):
    exec(compile(code, SENSOR, "exec"), {{"__name__": "custom_components.immich_hub.sensor",
                                         "frame": frame, "warnings": warnings}})


async def test_report_usage(hass):
    from_immich_hub("frame.report_usage('uses an old thing', breaks_in_ha_version='2099.1.0')")


async def test_deprecation_warning(hass):
    from_immich_hub("warnings.warn('old thing', DeprecationWarning)")


async def test_other_integrations_deprecation(hass, caplog):
    import logging
    logging.getLogger("homeassistant.helpers.frame").warning(
        "Detected that custom integration 'other' uses an old thing. This will stop working"
    )
"""


@pytest.mark.timeout(300)  # a whole pytest session with Home Assistant, on a busy machine
def test_deprecations_fail_tests(tmp_path: Path) -> None:
    """Home Assistant's report and a DeprecationWarning from our code fail; others' do not."""
    test_file = tmp_path / "test_session.py"
    test_file.write_text(SESSION)

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(tmp_path),
            "-p",
            "no:cacheprovider",
            "-p",
            "no:sugar",
            "-rf",
            str(test_file),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=280,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert re.search(r"\b2 failed, 1 passed\b", output), output
    assert "FAILED test_session.py::test_report_usage - Home Assistant reported" in output, output
    assert "Home Assistant reported deprecated use by Immich Hub" in output, output
    assert "FAILED test_session.py::test_deprecation_warning - DeprecationWarning" in output, output
