"""Without Chromium the browser tests skip, and the test run says so in one line with how to enable them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def test_a_run_without_chromium_says_how_many_browser_tests_it_skipped_and_how_to_enable_them(tmp_path: Path) -> None:
    browser_tests = Path(__file__).parent
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(browser_tests),
            "-k",
            "not without_chromium",
        ],
        cwd=browser_tests.parents[1],
        env=os.environ | {"BOLTWATCH_CHROMIUM": str(tmp_path / "no-chromium")},
        capture_output=True,
        text=True,
    )
    [skipped] = re.findall(r"(\d+) skipped", run.stdout.splitlines()[-1])
    notice = [line for line in run.stdout.splitlines() if "browser tests skipped" in line]
    assert notice == [
        f"{skipped} browser tests skipped: no Chromium at {tmp_path / 'no-chromium'}; "
        "`apt-get install chromium` (what .ci/run does) enables them"
    ]
    assert int(skipped) > 0
