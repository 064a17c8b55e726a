"""Change tracking by person (macros/incremental/person_writes.sql): a run of
int_events_resolved_to_persons logs every person whose events it changed, moved or deleted, so the
person models can rebuild exactly those. A person missing from the log would keep stale sessions
and facts; one logged for nothing costs a rebuild. Checked here: the log holds exactly the persons
of the rows that changed, on a landed day with an event held under a stale owner (re-resolved to
its person) and one the table lost (resolved again, as an event released from an erasure is)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.tests.dbt_helpers import run_dbt
from orchestration.tests.test_scoped_tests import invocation
from orchestration.tests.tiny_build import TinyBuild, copy_build, land_next_day

RESOLVED = "intermediate.int_events_resolved_to_persons"
LOG = "audit.dbt_person_writes__int_events_resolved_to_persons"
STALE_OWNER = "p_stale_owner_for_test"


def owners(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str | None]]:
    return set(con.execute(f"select event_id, one_id from {RESOLVED}").fetchall())


def persons_of_changed_rows(before: set[tuple], after: set[tuple]) -> set[str]:
    """The persons (second field) of the rows in one set and not the other."""
    return {row[1] for row in before ^ after if row[1] is not None}


def rows(con: duckdb.DuckDBPyConnection) -> set[tuple]:
    """Every row, with event_id and one_id first, without the invocation column."""
    return set(
        con.execute(
            f"select event_id, one_id, * exclude (event_id, one_id, dbt_invocation_id) from {RESOLVED}"
        ).fetchall()
    )


def test_a_daily_run_logs_every_person_whose_events_changed(tiny: TinyBuild, tmp_path: Path) -> None:
    work = copy_build(tiny, tmp_path)
    land_next_day(work / "raw")
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        full_build_rows = con.execute(f"select count(*), count(*) filter (where all_persons) from {LOG}").fetchone()
        old = [
            row
            for row in con.execute(
                f"select event_id, one_id from {RESOLVED} where one_id is not null"
                " and partition_date < date '2026-03-01' order by event_id limit 2"
            ).fetchall()
        ]
        (stale, stale_owner), (lost, lost_owner) = old
        con.execute(f"update {RESOLVED} set one_id = ? where event_id = ?", [STALE_OWNER, stale])
        con.execute(f"delete from {RESOLVED} where event_id = ?", [lost])
        # A held event goes missing only when it is released from an erasure, so the erased
        # identifiers changed since the last run: the run then searches the older partitions.
        con.execute(f"update {LOG} set run_state = 'erasures changed' where run_state is not null")
        before = owners(con)
        rows_before = rows(con)

    result = run_dbt(["run", "-s", "+int_events_resolved_to_persons"], work / "raw", work)
    assert result.returncode == 0, result.stdout[-4000:]
    this_run = invocation(work / "target")
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        after = owners(con)
        rows_after = rows(con)
        logged = {
            one_id
            for (one_id,) in con.execute(f"select one_id from {LOG} where invocation_id = ?", [this_run]).fetchall()
        }
        markers = con.execute(
            f"select all_persons from {LOG} where invocation_id = ? and one_id is null", [this_run]
        ).fetchall()
    # The full build logged one marker saying "everyone"; the daily run one saying "these persons".
    assert full_build_rows == (1, 1)
    assert markers == [(False,)]
    changed = {one_id for _, one_id in before ^ after if one_id is not None}
    assert (stale, stale_owner) in after and (lost, lost_owner) in after
    assert {STALE_OWNER, stale_owner, lost_owner} <= changed
    assert len(changed) > 10, "the landed day brings new events of many persons"
    assert changed <= logged - {None}
    # And exactly those: the persons of every row that changed in any column, and nobody whose
    # rows the run rewrote the same (the look-back partitions are re-read on every run).
    assert logged - {None} == persons_of_changed_rows(rows_before, rows_after)
    assert len(logged) < len({one_id for _, one_id in after}) / 2
