"""The PII scan scopes a daily run only when every earlier write was scanned and passed
(macros/tests/pii_scan_state.sql, docs/incremental.md "Tests on incremental runs").

A scoped scan reads, of each scoped model, only the rows this run wrote: it is safe only when the
rows earlier runs wrote were scanned and passed. A run that wrote rows without its scan (killed
before it, `dbt run`, a build excluding the test) or whose scan failed leaves the next run to scan
whole tables. Each case plants a phone in a row of the resolved events that the next run does not
write again, and checks the next run's compiled scan (whole or scoped) and its result."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.tests.dbt_helpers import compiled_sql, run_dbt
from orchestration.tests.test_pii_scan_scope import CHECK, PHONE_OLD, RESOLVED, copy_work, failures, scans
from orchestration.tests.test_scoped_tests import invocation, node_results

# Builds the tiny tier and runs dbt on copies of it many times: `make test-slow`, not `make test`.
pytestmark = pytest.mark.slow

MODEL = "int_events_resolved_to_persons"
DAILY = ["build", "-s", MODEL, CHECK]


def dbt(args: list[str], daily: Path, work: Path) -> tuple[str, dict[str, tuple[str, int | None]]]:
    """Runs dbt on `work` with the raw files of `daily`; returns its output and test statuses.
    No phone may reach the output or the logs."""
    result = run_dbt(args, daily / "raw", work)
    logs = result.stdout + (work / "logs" / "dbt.log").read_text()
    assert PHONE_OLD not in logs
    return result.stdout, node_results(work / "target")


def plant_phone(work: Path, written_by: str | None = None) -> None:
    """A phone in the search term of an old resolved event (a partition no daily run writes
    again), as if the invocation `written_by` had written that row."""
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        con.execute(
            f"update {RESOLVED} set search_term = ?, dbt_invocation_id = coalesce(?, dbt_invocation_id)"
            f" where event_id = (select min(event_id) from {RESOLVED}"
            f" where partition_date < (select min(partition_date) + 30 from {RESOLVED}))",
            [PHONE_OLD, written_by],
        )


def scan_is_whole(work: Path) -> bool:
    found = scans(compiled_sql(work / "target", CHECK))
    assert len(found) > 20
    return not any(found.values())


def assert_finds_the_phone(work: Path, stdout: str, statuses: dict) -> None:
    assert statuses[CHECK][0] == "fail", stdout[-4000:]
    assert failures(work / "warehouse.duckdb") == {f"{RESOLVED}.search_term": 1}


@pytest.mark.parametrize(
    "unscanned",
    [
        ["run", "-s", MODEL],
        ["build", "-s", MODEL, "--exclude", CHECK],
    ],
    ids=["run_without_tests", "build_without_pii_test"],
)
def test_after_a_run_without_its_scan_the_next_daily_run_scans_whole(
    pii_daily: Path, tmp_path: Path, unscanned: list[str]
) -> None:
    # (a) Day N writes the resolved events but its scan never runs, and one row it wrote holds a
    # phone. Day N+1 must scan the whole table and find it.
    work = copy_work(pii_daily, tmp_path / "work")
    stdout, statuses = dbt(unscanned, pii_daily, work)
    assert CHECK not in statuses, stdout[-4000:]
    plant_phone(work, written_by=invocation(work / "target"))
    stdout, statuses = dbt(DAILY, pii_daily, work)
    assert scan_is_whole(work)
    assert_finds_the_phone(work, stdout, statuses)


def test_after_a_failed_scan_the_next_daily_runs_scan_whole_until_one_passes(pii_daily: Path, tmp_path: Path) -> None:
    # (b) A run's scan finds a phone (the tests alone: the resolved events read whole). The next
    # daily run, which writes only new rows, still scans whole and fails while the phone is there;
    # once it is removed a whole scan passes, and the daily run after it is scoped again.
    work = copy_work(pii_daily, tmp_path / "work")
    plant_phone(work)
    stdout, statuses = dbt(["test", "-s", CHECK], pii_daily, work)
    assert_finds_the_phone(work, stdout, statuses)
    stdout, statuses = dbt(DAILY, pii_daily, work)
    assert scan_is_whole(work)
    assert_finds_the_phone(work, stdout, statuses)
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        con.execute(f"update {RESOLVED} set search_term = null where search_term = ?", [PHONE_OLD])
    stdout, statuses = dbt(DAILY, pii_daily, work)
    assert statuses[CHECK][0] == "pass", stdout[-4000:]
    assert scan_is_whole(work)
    stdout, statuses = dbt(DAILY, pii_daily, work)
    assert statuses[CHECK][0] == "pass", stdout[-4000:]
    assert not scan_is_whole(work)


def test_after_a_clean_build_the_daily_run_is_scoped(pii_daily: Path) -> None:
    # (c) The tiny build's scan passed: the daily build after it reads the resolved events only
    # through this invocation's rows.
    found = scans(compiled_sql(pii_daily / "target", CHECK))
    assert found[RESOLVED] == f"dbt_invocation_id = '{invocation(pii_daily / 'target')}'"
    assert node_results(pii_daily / "target")[CHECK][0] == "pass"
