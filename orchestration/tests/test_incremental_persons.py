"""The per-person incremental models rebuild exactly the persons whose input rows changed: after
changes of every kind to their input (a moved event time, another value in a column, an event or
order moved to another person, a person's events all gone, a new person, another set of periods),
an incremental run gives the same tables as a full rebuild of the same input. Each change is one
the daily data may not produce, so this guards the change detection itself (changed_persons()),
not just the days the simulator happens to generate."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from orchestration.tests.dbt_helpers import compiled_sql, run_dbt
from orchestration.tests.test_tiny_build import table_checksums
from orchestration.tests.tiny_build import TinyBuild

NEW_PERSON = "p_new_person_for_test"
# The event facts read the sessions.
EVENT_MODELS = ["int_person_events_as_of", "int_person_event_facts"]
# The lifecycle reads the activity, the RFM snapshots their measures and cuts (tables rebuilt
# every run), the transitions read the lifecycle and the RFM snapshots.
PERIOD_MODELS = [
    "int_person_period_activity",
    "fct_lifecycle_stages",
    "int_rfm_measures",
    "fct_rfm_thresholds",
    "fct_rfm_snapshots",
    "fct_state_transitions",
]
# The incremental ones (strategy person_periods), by their period column.
PERIOD_COLUMNS = {
    "int_person_period_activity": "period_end",
    "fct_lifecycle_stages": "period_end",
    "fct_rfm_snapshots": "snapshot_date",
    "fct_state_transitions": "period_end",
}
SCHEMAS = {
    "int_person_events_as_of": "intermediate",
    "int_person_event_facts": "intermediate",
    "int_person_period_activity": "intermediate",
    "int_rfm_measures": "intermediate",
    "fct_lifecycle_stages": "marts",
    "fct_rfm_thresholds": "marts",
    "fct_rfm_snapshots": "marts",
    "fct_state_transitions": "marts",
}
RESOLVED_EVENTS = "intermediate.int_events_resolved_to_persons"
EVENTS = "intermediate.int_person_events_as_of"
ORDERS = "intermediate.int_orders_resolved_to_persons"
RFM = "marts.fct_rfm_snapshots"
PERSONS = "intermediate.int_identity_persons_assigned"
NEW_RFM_PERSON = "p_new_rfm_person_for_test"
PERIODS = "intermediate.int_periods"
RESOLVED_EVENTS_LOG = "audit.dbt_person_writes__int_events_resolved_to_persons"
EVENTS_LOG = "audit.dbt_person_writes__int_person_events_as_of"


def table(model: str) -> str:
    return f"{SCHEMAS[model]}.{model}"


def persons_with_events(con: duckdb.DuckDBPyConnection, events: str, before: str, count: int) -> list[str]:
    persons = [
        one_id
        for (one_id,) in con.execute(
            f"select one_id from {events} where one_id is not null and event_at < ?"
            " group by one_id having count(*) >= 3 order by one_id limit ?",
            [before, count],
        ).fetchall()
    ]
    assert len(persons) == count
    return persons


def first_event(con: duckdb.DuckDBPyConnection, events: str, one_id: str, before: str = "2026-03-01") -> str:
    return con.execute(
        f"select min(event_id) from {events} where one_id = ? and event_at < ?", [one_id, before]
    ).fetchone()[0]


def change_the_resolved_events(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Changes the input of the sessions in place, one kind of change per person; returns them."""
    shifted, recoloured, giver, receiver, vanished = persons_with_events(con, RESOLVED_EVENTS, "2026-03-01", 5)
    # Same number of events, one of them an hour earlier: only the content differs.
    con.execute(
        f"update {RESOLVED_EVENTS} set event_at = event_at - interval 1 hour where event_id = ?",
        [first_event(con, RESOLVED_EVENTS, shifted)],
    )
    # Same events and times, another channel on one of them.
    con.execute(
        f"update {RESOLVED_EVENTS} set channel = case when channel = 'web' then 'h5' else 'web' end where event_id = ?",
        [first_event(con, RESOLVED_EVENTS, recoloured)],
    )
    # One event moves to another person (a merge or a split).
    con.execute(
        f"update {RESOLVED_EVENTS} set one_id = ? where event_id = ?",
        [receiver, first_event(con, RESOLVED_EVENTS, giver)],
    )
    # Every event of a person leaves (erased, or merged away).
    con.execute(f"delete from {RESOLVED_EVENTS} where one_id = ?", [vanished])
    # A person the table has never seen.
    con.execute(
        f"update {RESOLVED_EVENTS} set one_id = ? where event_id = ?",
        [NEW_PERSON, first_event(con, RESOLVED_EVENTS, receiver)],
    )
    return {"vanished": vanished, "persons": [shifted, recoloured, giver, receiver, vanished, NEW_PERSON]}


def change_and_log_the_resolved_events(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The changes of change_the_resolved_events(), logged as a run of the resolved events logs
    the persons it wrote (macros/incremental/person_writes.sql): the sessions then read the log."""
    changed = change_the_resolved_events(con)
    con.execute(
        f"insert into {RESOLVED_EVENTS_LOG} (invocation_id, one_id, all_persons, run_state, written_at)"
        " select 'by hand', one_id, false, null, now() from (select null as one_id union all select unnest(?))",
        [changed["persons"]],
    )
    return changed


def change_the_resolved_events_without_logs(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The changes of change_the_resolved_events() in a warehouse whose sessions keep no log (built
    before the logs existed): the sessions compare every person's events."""
    con.execute(f"drop table {EVENTS_LOG}")
    return change_the_resolved_events(con)


def change_the_period_inputs(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Changes the inputs of the person-period models in place, one kind of change per person."""
    # Persons whose first event is weeks after the first period, so an earlier event still has one.
    earlier, giver, receiver, vanished = persons_with_events(
        con,
        f"(select * from {EVENTS} qualify min(event_at) over (partition by one_id) > '2026-01-15')",
        "2026-03-01",
        4,
    )
    # One of their events two weeks earlier: it may start their history in an earlier period.
    con.execute(
        f"update {EVENTS} set event_at = event_at - interval 14 day where event_id = ?",
        [first_event(con, EVENTS, earlier)],
    )
    # One event moves to another person.
    con.execute(f"update {EVENTS} set one_id = ? where event_id = ?", [receiver, first_event(con, EVENTS, giver)])
    # Every event of a person leaves.
    con.execute(f"delete from {EVENTS} where one_id = ?", [vanished])
    # A person the tables have never seen.
    con.execute(f"update {EVENTS} set one_id = ? where event_id = ?", [NEW_PERSON, first_event(con, EVENTS, receiver)])

    last_period_end = con.execute(f"select max(period_end_at) from {PERIODS}").fetchone()[0]
    # The only paid order of its buyer, and another.
    moved, refunded = (
        order_id
        for (order_id,) in con.execute(
            f"select order_id from {ORDERS} where is_paid and one_id is not null and closed_at is null"
            f" and paid_at < ? order by one_id not in (select one_id from {ORDERS} where is_paid and one_id"
            " is not null group by one_id having count(*) = 1), order_id limit 2",
            [last_period_end],
        ).fetchall()
    )
    # A paid order refunded within its period: the period's net GMV falls.
    con.execute(f"update {ORDERS} set closed_at = paid_at where order_id = ?", [refunded])
    # A paid order moves to another person: its buyer is a buyer no more, at any snapshot.
    con.execute(f"update {ORDERS} set one_id = ? where order_id = ?", [earlier, moved])

    # The RFM snapshots' own inputs: persons (first seen, merged away, new) and their held rows.
    held = con.execute(f"select max(snapshot_date) from {RFM}").fetchone()[0]
    seen_earlier, merged_away, tampered = (
        one_id
        for (one_id,) in con.execute(
            f"select one_id from {RFM} where one_id not in (?, ?, ?, ?, ?) group by one_id"
            " having min(snapshot_date) < ? - interval 35 day and bool_or(rfm_class != 'prospect')"
            " and bool_or(rfm_class = 'prospect') order by one_id desc limit 3",
            [earlier, giver, receiver, vanished, NEW_PERSON, held],
        ).fetchall()
    )
    # First seen five weeks earlier: rows in earlier snapshots.
    con.execute(
        f"update {PERSONS} set first_seen_at = first_seen_at - interval 35 day where node_id ="
        f" (select min(node_id) from {PERSONS} where one_id = ? and first_seen_at = (select min(first_seen_at)"
        f" from {PERSONS} where one_id = ?))",
        [seen_earlier, seen_earlier],
    )
    # Every identifier of a person merged into another: only the buyer rows of the orders still
    # resolved to them are left (the orders are rebuilt upstream); a person who never paid has none.
    (never_paid,) = con.execute(
        f"select one_id from {RFM} where one_id not in (?, ?, ?, ?, ?) group by one_id"
        " having bool_and(rfm_class = 'prospect') order by one_id limit 1",
        [earlier, giver, receiver, vanished, NEW_PERSON],
    ).fetchone()
    for person in (merged_away, never_paid):
        con.execute(f"update {PERSONS} set one_id = ? where one_id = ?", [tampered, person])
    # A person the table has never seen, first seen in the first period.
    con.execute(
        f"insert into {PERSONS} (one_id, node_id, identifier_key, identifier_type, first_seen_at)"
        f" select ?, max(node_id) + 1, 'k_new_rfm_person', 'device_id', min(first_seen_at) from {PERSONS}",
        [NEW_RFM_PERSON],
    )
    # A held buyer row changed in a column no input explains (a table edited by hand, a run of an
    # older version): the person is rebuilt from their inputs.
    con.execute(
        f"update {RFM} set monetary = monetary + 1 where (one_id, snapshot_date) = (select (one_id,"
        f" min(snapshot_date)) from {RFM} where one_id = ? and rfm_class != 'prospect' group by one_id)",
        [tampered],
    )
    return {"vanished": vanished, "merged_away": merged_away, "never_paid": never_paid}


def drop_the_last_period(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Another set of periods (as a week completing, or another as-of date): every person changes."""
    con.execute(f"delete from {PERIODS} where period_end = (select max(period_end) from {PERIODS})")
    return {}


def drop_a_period_before_the_last(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Other periods that still end with the held one (as another grain whose period ends on the
    same day): the RFM snapshots are rebuilt whole, prospect rows included."""
    con.execute(
        f"delete from {PERIODS} where period_end = (select period_end from {PERIODS} order by period_end desc"
        " limit 1 offset 1)"
    )
    return {}


def a_period_earlier(tiny: TinyBuild, tmp_path: Path) -> Path:
    """A copy of the tiny warehouse whose person-period models were built before the last period
    completed (without it, kept aside in main.completed_period)."""
    work = tmp_path / "earlier"
    work.mkdir()
    shutil.copy(tiny.database, work / "warehouse.duckdb")
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        last = f"(select max(period_end) from {PERIODS})"
        con.execute(f"create table main.completed_period as select * from {PERIODS} where period_end = {last}")
        con.execute(f"delete from {PERIODS} where period_end = {last}")
    result = run_dbt(["run", "-s", *PERIOD_MODELS, "--full-refresh"], tiny.raw, work)
    assert result.returncode == 0, result.stdout[-6000:]
    return work / "warehouse.duckdb"


def complete_the_period(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The period kept aside by a_period_earlier() completes."""
    con.execute(f"insert into {PERIODS} select * from main.completed_period")
    return {}


def assert_incremental_equals_full(
    tiny: TinyBuild,
    tmp_path: Path,
    models: list[str],
    change: Callable[[duckdb.DuckDBPyConnection], dict[str, str]],
    start: Path | None = None,
) -> tuple[Path, dict[str, str]]:
    """Applies `change` to two copies of the tiny warehouse (or of `start`), runs `models`
    incrementally on one and with --full-refresh on the other, and asserts the tables are equal
    and were changed."""
    tables = [table(model) for model in models]
    incremental, full = tmp_path / "incremental", tmp_path / "full"
    for work in (incremental, full):
        work.mkdir()
        shutil.copy(start or tiny.database, work / "warehouse.duckdb")
        with duckdb.connect(str(work / "warehouse.duckdb")) as con:
            changed = change(con)

    before = table_checksums(incremental / "warehouse.duckdb", tables)
    for work, flags in ((incremental, []), (full, ["--full-refresh"])):
        result = run_dbt(["run", "-s", *models, *flags], tiny.raw, work)
        assert result.returncode == 0, result.stdout[-6000:]

    for model in models:  # the runs were incremental
        if model in PERIOD_COLUMNS or model in EVENT_MODELS:
            compiled = compiled_sql(incremental / "target", model)
            assert ("held_rows" if model in PERIOD_COLUMNS else "changed_persons") in compiled, model
    after = table_checksums(incremental / "warehouse.duckdb", tables)
    assert [t for t in tables if after[t] == before[t]] == []
    assert after == table_checksums(full / "warehouse.duckdb", tables)
    return incremental / "warehouse.duckdb", changed


def rows_of(database: Path, table_name: str, one_id: str) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(f"select count(*) from {table_name} where one_id = ?", [one_id]).fetchone()[0]


@pytest.mark.parametrize(
    "change",
    [
        change_and_log_the_resolved_events,
        # (The fallback, as before the logs: a property suite, make test-slow.)
        pytest.param(change_the_resolved_events_without_logs, marks=pytest.mark.slow),
    ],
    ids=["logged", "no_log"],
)
def test_the_event_models_equal_a_full_rebuild_after_any_change_of_their_input(
    tiny: TinyBuild, tmp_path: Path, change: Callable[[duckdb.DuckDBPyConnection], dict[str, str]]
) -> None:
    database, changed = assert_incremental_equals_full(tiny, tmp_path, EVENT_MODELS, change)
    for model in EVENT_MODELS:
        assert rows_of(database, table(model), changed["vanished"]) == 0, model
        assert rows_of(database, table(model), NEW_PERSON) == 1, model
    # The sessions read the log when there is one, and compare everything when there is none;
    # the event facts read the sessions' log, unless it does not reach back to their last run.
    for model in EVENT_MODELS:
        compiled = compiled_sql(database.parent / "target", model)
        assert ("change tracking" in compiled) == (change is change_and_log_the_resolved_events), model


@pytest.mark.slow  # a whole build of its own: make test-slow
def test_the_period_models_equal_a_full_rebuild_after_any_change_of_their_input(
    tiny: TinyBuild, tmp_path: Path
) -> None:
    database, changed = assert_incremental_equals_full(tiny, tmp_path, PERIOD_MODELS, change_the_period_inputs)
    for model in ("int_person_period_activity", "fct_lifecycle_stages"):
        assert rows_of(database, table(model), changed["vanished"]) == 0, model
        assert rows_of(database, table(model), NEW_PERSON) > 0, model
    # A person merged away keeps the buyer rows of the orders still resolved to them (left as
    # they were), and loses every prospect row.
    assert rows_of(database, f"(select * from {RFM} where rfm_class = 'prospect')", changed["merged_away"]) == 0
    assert rows_of(database, RFM, changed["never_paid"]) == 0
    assert rows_of(database, RFM, NEW_RFM_PERSON) > 0
    # The transitions read the logs of the lifecycle and the RFM snapshots, the lifecycle the
    # activity's.
    for model in ("fct_state_transitions", "fct_lifecycle_stages"):
        assert "change tracking" in compiled_sql(database.parent / "target", model), model


@pytest.mark.slow  # make test-slow
def test_the_rfm_snapshots_equal_a_full_rebuild_after_the_prospect_class_is_renamed(
    tiny: TinyBuild, tmp_path: Path
) -> None:
    # Prospect rows are not compared (they follow from the buyer rows and the first snapshot), so a
    # seed that names the class otherwise rebuilds the table whole (rfm_held_persons()). A person
    # new in that run (no event, so no lifecycle row) reaches the transitions through the RFM
    # snapshots' log, which then names everyone it wrote.
    def rename_the_prospect_class(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
        con.execute("update reference.rfm_classes set name_en = 'Prospect (renamed)' where rfm_class = 'prospect'")
        con.execute(
            f"insert into {PERSONS} (one_id, node_id, identifier_key, identifier_type, first_seen_at)"
            f" select ?, max(node_id) + 1, 'k_new_rfm_person', 'device_id', min(first_seen_at) from {PERSONS}",
            [NEW_RFM_PERSON],
        )
        return {}

    database, _ = assert_incremental_equals_full(
        tiny, tmp_path, ["fct_rfm_snapshots", "fct_state_transitions"], rename_the_prospect_class
    )
    assert rows_of(database, table("fct_state_transitions"), NEW_RFM_PERSON) > 0


@pytest.mark.slow  # a whole build of its own: make test-slow
def test_the_period_models_equal_a_full_rebuild_after_the_periods_change(tiny: TinyBuild, tmp_path: Path) -> None:
    assert_incremental_equals_full(tiny, tmp_path, PERIOD_MODELS, drop_the_last_period)


@pytest.mark.slow  # make test-slow
def test_the_rfm_snapshots_equal_a_full_rebuild_after_other_periods_that_end_with_the_held_one(
    tiny: TinyBuild, tmp_path: Path
) -> None:
    # (A period missing inside the series: int_periods never gives one, but it is how another grain
    # whose period ends on the held day looks to the RFM snapshots' pre-hook, rfm_held_persons().)
    rfm = ["int_rfm_measures", "fct_rfm_thresholds", "fct_rfm_snapshots"]
    assert_incremental_equals_full(tiny, tmp_path, rfm, drop_a_period_before_the_last)


@pytest.mark.slow  # a whole build of its own: make test-slow
def test_the_period_models_equal_a_full_rebuild_when_a_period_completes(tiny: TinyBuild, tmp_path: Path) -> None:
    # New rows carried on for the unchanged persons, and changed persons rebuilt, in one run.
    def completed_with_changes(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
        complete_the_period(con)
        return change_the_period_inputs(con)

    start = a_period_earlier(tiny, tmp_path)
    database, changed = assert_incremental_equals_full(tiny, tmp_path, PERIOD_MODELS, completed_with_changes, start)
    assert rows_of(database, table("fct_lifecycle_stages"), changed["vanished"]) == 0


def test_a_completed_period_adds_rows_without_rewriting_unchanged_persons(tiny: TinyBuild, tmp_path: Path) -> None:
    """The rows an unchanged person had stay as they were: marked in columns the change detection
    does not read, the marks survive the run, and the person gains the new period's row."""
    database = a_period_earlier(tiny, tmp_path)
    marks = {  # a column each model derives (not compared) and its mark, on the rows it marks
        "int_person_period_activity": ("event_count = -1", "true"),
        "fct_lifecycle_stages": ("operations_stage = 'marked'", "true"),
        "fct_rfm_snapshots": ("rfm_class_name_en = 'marked'", "rfm_class = 'prospect'"),
        "fct_state_transitions": ("from_state = 'marked'", "true"),
    }
    with duckdb.connect(str(database)) as con:
        held = con.execute(f"select max(period_end) from {table('int_person_period_activity')}").fetchone()[0]
        persons = persons_with_events(
            con,
            f"(select * from {EVENTS} where one_id in (select one_id from {RFM} where rfm_class = 'prospect'"
            f" and snapshot_date < '{held}'))",
            "2026-01-01",
            len(marks),
        )
        for one_id, (model, (mark, rows)) in zip(persons, marks.items(), strict=True):
            con.execute(
                f"update {table(model)} set {mark} where one_id = ? and {PERIOD_COLUMNS[model]} < ? and {rows}",
                [one_id, held],
            )
        complete_the_period(con)

    result = run_dbt(["run", "-s", *PERIOD_MODELS], tiny.raw, database.parent)
    assert result.returncode == 0, result.stdout[-6000:]
    with duckdb.connect(str(database), read_only=True) as con:
        for one_id, (model, (mark, _)) in zip(persons, marks.items(), strict=True):
            query = f"select count(*) from {table(model)} where one_id = ? and {mark}"
            (marked,) = con.execute(query, [one_id]).fetchone()
            assert marked > 0, model
            for other, column in PERIOD_COLUMNS.items():
                (added,) = con.execute(
                    f"select count(*) from {table(other)} where one_id = ? and {column} > ?", [one_id, held]
                ).fetchone()
                assert added > 0, (model, other)


@pytest.mark.slow  # make test-slow
def test_the_event_models_equal_a_full_rebuild_at_an_earlier_as_of_date(tiny: TinyBuild, tmp_path: Path) -> None:
    # Nothing upstream changed, but the as-of end moved back: the persons with events between the
    # two ends are rebuilt (from the log's as-of end), and only they.
    tables = [table(model) for model in EVENT_MODELS]
    selected = ["int_as_of_date", *EVENT_MODELS]
    as_of = ["--vars", "{as_of: '2026-03-20'}"]
    incremental, full = tmp_path / "incremental", tmp_path / "full"
    for work, flags in ((incremental, []), (full, ["--full-refresh"])):
        work.mkdir()
        shutil.copy(tiny.database, work / "warehouse.duckdb")
        result = run_dbt(["run", "-s", *selected, *as_of, *flags], tiny.raw, work)
        assert result.returncode == 0, result.stdout[-6000:]
    assert "change tracking" in compiled_sql(incremental / "target", "int_person_events_as_of")
    after = table_checksums(incremental / "warehouse.duckdb", tables)
    assert after != table_checksums(tiny.database, tables)
    assert after == table_checksums(full / "warehouse.duckdb", tables)


@pytest.mark.slow  # make test-slow
def test_the_transitions_catch_up_after_a_run_without_the_lifecycle(tiny: TinyBuild, tmp_path: Path) -> None:
    # A period completes and a run leaves the lifecycle out: the transitions rebuild a person
    # whose RFM class changed (a paid order moved to them), with the new period's RFM snapshot, so
    # their last period is one the lifecycle has not yet. When the lifecycle then adds that period
    # for everyone (rows it does not log), the transitions compare everything rather than miss them.
    start = a_period_earlier(tiny, tmp_path)
    incremental, full = tmp_path / "incremental", tmp_path / "full"
    for work in (incremental, full):
        work.mkdir()
        shutil.copy(start, work / "warehouse.duckdb")
        with duckdb.connect(str(work / "warehouse.duckdb")) as con:
            complete_the_period(con)
            con.execute(
                f"update {ORDERS} set one_id = (select min(one_id) from {RFM} where rfm_class = 'prospect')"
                f" where order_id = (select min(order_id) from {ORDERS} where is_paid and one_id is not null"
                f" and paid_at < (select min(period_end_at) from {PERIODS}) + interval 7 day)"
            )
    rfm = ["int_rfm_measures", "fct_rfm_thresholds", "fct_rfm_snapshots"]
    for args in (["-s", *rfm, "fct_state_transitions"], ["-s", *PERIOD_MODELS]):
        result = run_dbt(["run", *args], tiny.raw, incremental)
        assert result.returncode == 0, result.stdout[-6000:]
    result = run_dbt(["run", "-s", *PERIOD_MODELS, "--full-refresh"], tiny.raw, full)
    assert result.returncode == 0, result.stdout[-6000:]
    tables = [table(model) for model in PERIOD_MODELS]
    before = table_checksums(start, tables)
    after = table_checksums(incremental / "warehouse.duckdb", tables)
    assert [t for t in tables if after[t] == before[t]] == []
    assert after == table_checksums(full / "warehouse.duckdb", tables)
