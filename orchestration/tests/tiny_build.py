"""The tiny-tier warehouse shared by the tests that need a realistic build.

`make test` builds it once (dbt build on the simulator's tiny tier in a temporary folder) and
passes the folder in USER_ASSETS_TEST_BUILD_DIR; run alone, pytest generates and builds its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from orchestration.settings import PROJECT_DIR
from orchestration.tests.dbt_helpers import build_or_fail

TINY_SEED = 7


@dataclass(frozen=True)
class TinyBuild:
    raw: Path
    truth: Path
    database: Path


def run_simulator(*args: str) -> None:
    """The simulator's command line (`python -m orchestration.simulate`); fails on an error."""
    subprocess.run(
        [sys.executable, "-m", "orchestration.simulate", *args],
        cwd=PROJECT_DIR,
        check=True,
        capture_output=True,
    )


def simulate(tier: str, seed: int, out: Path) -> None:
    run_simulator("--tier", tier, "--seed", str(seed), "--out", str(out))


def land_next_day(raw: Path) -> None:
    """Lands the simulation's next day in the raw folder, as the daily schedule sees it."""
    run_simulator("--land-next-day", "--out", str(raw))


def copy_build(tiny: TinyBuild, work: Path) -> Path:
    """A copy of the tiny build in `work` (raw folder, the simulator's truth beside it, which
    landing a day reads, and the warehouse), to land days on and build; returns `work`."""
    shutil.copytree(tiny.raw, work / "raw")
    shutil.copytree(tiny.truth, work / "truth")
    shutil.copy(tiny.database, work / "warehouse.duckdb")
    return work


def tiny_build(tmp_root: Path) -> TinyBuild:
    prebuilt = os.environ.get("USER_ASSETS_TEST_BUILD_DIR")
    if prebuilt:
        work = Path(prebuilt)
    else:
        work = tmp_root
        simulate("tiny", TINY_SEED, work / "raw")
        build_or_fail(work / "raw", work)
    return TinyBuild(raw=work / "raw", truth=work / "truth", database=work / "warehouse.duckdb")
