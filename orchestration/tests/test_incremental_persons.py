"""The per-person incremental models (sessions, and the event facts built on them) rebuild exactly
the persons whose input rows changed: after
changes of every kind to their input (a moved event time, another value in a column, an event
moved to another person, a person's events all gone, a new person), an incremental run gives the
same table as a full rebuild of the same input. Each change is one the daily data may not
produce, so this guards the change detection itself (changed_persons()), not just the days the
simulator happens to generate."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from orchestration.tests.dbt_helpers import run_dbt
from orchestration.tests.test_tiny_build import table_checksums
from orchestration.tests.tiny_build import TinyBuild

# The event facts read the sessions.
MODELS = ["int_person_events_as_of", "int_person_event_facts"]
TABLES = [f"intermediate.{model}" for model in MODELS]
SOURCE = "intermediate.int_events_resolved_to_persons"


def run_model_or_fail(tiny: TinyBuild, work: Path, *flags: str) -> None:
    result = run_dbt(["run", "-s", *MODELS, *flags], tiny.raw, work)
    assert result.returncode == 0, result.stdout[-6000:]


def change_the_input(database: Path) -> dict[str, str]:
    """Changes the resolved events in place, one kind of change per person; returns them."""
    with duckdb.connect(str(database)) as con:
        persons = [
            one_id
            for (one_id,) in con.execute(
                f"select one_id from {SOURCE} where one_id is not null and event_at < '2026-03-01'"
                " group by one_id having count(*) >= 3 order by one_id limit 5"
            ).fetchall()
        ]
        assert len(persons) == 5
        shifted, recoloured, giver, receiver, vanished = persons

        def first_event(one_id: str) -> str:
            return con.execute(
                f"select min(event_id) from {SOURCE} where one_id = ? and event_at < '2026-03-01'", [one_id]
            ).fetchone()[0]

        # Same number of events, one of them an hour earlier: only the content differs.
        con.execute(
            f"update {SOURCE} set event_at = event_at - interval 1 hour where event_id = ?", [first_event(shifted)]
        )
        # Same events and times, another channel on one of them.
        con.execute(
            f"update {SOURCE} set channel = case when channel = 'web' then 'h5' else 'web' end where event_id = ?",
            [first_event(recoloured)],
        )
        # One event moves to another person (a merge or a split).
        con.execute(f"update {SOURCE} set one_id = ? where event_id = ?", [receiver, first_event(giver)])
        # Every event of a person leaves (erased, or merged away).
        con.execute(f"delete from {SOURCE} where one_id = ?", [vanished])
        # A person the table has never seen.
        con.execute(f"update {SOURCE} set one_id = 'p_new_person_for_test' where event_id = ?", [first_event(receiver)])
    return {"shifted": shifted, "recoloured": recoloured, "giver": giver, "receiver": receiver, "vanished": vanished}


def test_an_incremental_run_equals_a_full_rebuild_after_any_change_of_its_input(
    tiny: TinyBuild, tmp_path: Path
) -> None:
    incremental, full = tmp_path / "incremental", tmp_path / "full"
    for work in (incremental, full):
        work.mkdir()
        shutil.copy(tiny.database, work / "warehouse.duckdb")
        changed = change_the_input(work / "warehouse.duckdb")

    before = table_checksums(incremental / "warehouse.duckdb", TABLES)
    run_model_or_fail(tiny, incremental)
    run_model_or_fail(tiny, full, "--full-refresh")

    for model in MODELS:  # the runs were incremental
        compiled = next((incremental / "target" / "compiled").rglob(f"{model}.sql")).read_text()
        assert "changed_persons" in compiled, model
    after = table_checksums(incremental / "warehouse.duckdb", TABLES)
    assert all(after[table] != before[table] for table in TABLES)
    assert after == table_checksums(full / "warehouse.duckdb", TABLES)
    with duckdb.connect(str(incremental / "warehouse.duckdb"), read_only=True) as con:
        for table in TABLES:
            (vanished_rows,) = con.execute(
                f"select count(*) from {table} where one_id = ?", [changed["vanished"]]
            ).fetchone()
            (new_rows,) = con.execute(f"select count(*) from {table} where one_id = 'p_new_person_for_test'").fetchone()
            assert (vanished_rows, new_rows) == (0, 1), table
