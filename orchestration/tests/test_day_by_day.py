"""Landing the data day by day and building after each landing (the event models run
incrementally: staging reads only the newest partitions, resolution redoes only the events whose
person changed) gives the same tables and marts as one full build of the whole
period, and the merge history records persons that moved."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from orchestration.settings import PROJECT_DIR
from orchestration.tests.dbt_helpers import build_or_fail
from orchestration.tests.test_tiny_build import comparable_marts, differing_tables
from orchestration.tests.tiny_build import TINY_SEED, TinyBuild

INCREMENTAL_TABLES = [
    "staging.base_tracking__event_lines",
    "staging.stg_tracking__events",
    "staging.stg_tracking__event_identifiers",
    "intermediate.int_events_resolved_to_persons",
]
# Cutoffs of the two daily runs: the newest day held before each landing minus 3 days.
FIRST_CUTOFF, SECOND_CUTOFF = "2026-03-28", "2026-03-29"


def simulate(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "orchestration.simulate", *args],
        cwd=PROJECT_DIR,
        check=True,
        capture_output=True,
    )


def test_day_by_day_builds_equal_one_full_build(tiny: TinyBuild, tmp_path: Path) -> None:
    # The tiny build covers 120 days up to 2026-03-31. Land two more days on a copy of it,
    # building after each, as a daily schedule would.
    daily = tmp_path / "daily"
    shutil.copytree(tiny.raw, daily / "raw")
    shutil.copytree(tiny.truth, daily / "truth")
    shutil.copy(tiny.database, daily / "warehouse.duckdb")
    for _ in range(2):
        simulate("--land-next-day", "--out", str(daily / "raw"))
        build_or_fail(daily / "raw", daily)

    # The same 122 days generated and built in one go.
    full = tmp_path / "full"
    simulate(
        "--tier",
        "tiny",
        "--seed",
        str(TINY_SEED),
        "--days",
        "122",
        "--end-date",
        "2026-04-02",
        "--out",
        str(full / "raw"),
    )
    build_or_fail(full / "raw", full)

    # The daily runs were incremental: the event lines were read from the cutoff partition on.
    compiled = next((daily / "target" / "compiled").rglob("base_tracking__event_lines.sql")).read_text()
    assert f"dt >= cast('{SECOND_CUTOFF}' as date)" in compiled

    # Landing days moved events older than either run's cutoff to other persons (merges), so
    # re-resolving them was needed: without it the comparison below would fail.
    with duckdb.connect(str(daily / "warehouse.duckdb"), read_only=True) as con:
        con.execute(f"attach '{tiny.database}' as before (read_only)")
        (moved,) = con.execute(
            "select count(*) from intermediate.int_events_resolved_to_persons as now"
            " inner join before.intermediate.int_events_resolved_to_persons as was using (event_id)"
            " where was.partition_date < cast(? as date) and now.one_id is distinct from was.one_id",
            [FIRST_CUTOFF],
        ).fetchone()
    assert moved > 0

    # The incremental tables and every mart (bar the history kept by design) as in the full build.
    compared = INCREMENTAL_TABLES + comparable_marts(full / "warehouse.duckdb")
    assert differing_tables(daily / "warehouse.duckdb", full / "warehouse.duckdb", compared) == []
    with duckdb.connect(str(daily / "warehouse.duckdb"), read_only=True) as con:
        (versions,) = con.execute("select count(*) from snapshots.snp_identity_persons").fetchone()
        (current,) = con.execute("select count(*) from marts.bdg_identifiers_to_persons").fetchone()
    assert versions >= current  # three builds of history, at least one version per identifier
