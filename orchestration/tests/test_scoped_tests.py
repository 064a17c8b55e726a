"""Data tests scoped to what a run wrote (macros/tests/run_scope.sql, docs/incremental.md).

On an incremental run, the generic tests of a model declaring `meta.run_scope` read only the rows
the run wrote (row-level tests) or the rows sharing a key with them (key and group tests); every
other case tests the whole table: `dbt test` alone, a full build, `--vars '{full_tests: true}'`.
The orders lines model (run_scope: dbt_invocation_id) is run alone on a copy of the tiny build
after one more day has landed, with errors planted in old rows and in what the run writes."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import PROJECT_DIR
from orchestration.tests.dbt_helpers import run_dbt
from orchestration.tests.tiny_build import TinyBuild, copy_build, land_next_day

MODEL = "base_oms__order_lines"
SCOPE_MARK = "run scope:"
# The planted wholly rejected files: one in the day the run lands, one in an old partition.
GARBAGE = "not json\n" * 4


def node_results(target: Path) -> dict[str, tuple[str, int | None]]:
    """Test name -> (status, failures) of the last dbt command in `target`."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {
        r["unique_id"].split(".")[2]: (r["status"], r["failures"])
        for r in results
        if r["unique_id"].startswith("test.")
    }


def invocation(target: Path) -> str:
    return json.loads((target / "run_results.json").read_text())["metadata"]["invocation_id"]


def run_sql(target: Path, test: str) -> str:
    """The SQL of a test as dbt compiled it in its last run (target/compiled), with the
    where-subquery it was given."""
    manifest = json.loads((target / "manifest.json").read_text())
    (node,) = [n for n in manifest["nodes"].values() if n["resource_type"] == "test" and n["name"] == test]
    return (target / "compiled" / node["package_name"] / node["original_file_path"] / node["path"]).read_text()


def find_test(target: Path, prefix: str) -> str:
    names = [name for name in node_results(target) if name.startswith(prefix)]
    assert len(names) == 1, (prefix, names)
    return names[0]


UNIQUE = f"unique_combination_of_columns_{MODEL}_file_name__line_number"
STATUS = f"accepted_values_{MODEL}_line_status__accepted__rejected__duplicate"


def dbt_or_fail(args: list[str], raw: Path, work: Path, allowed_failures: frozenset[str] = frozenset()) -> None:
    """Runs dbt; a failing node other than the tests in `allowed_failures` fails the test."""
    # Only the tests of the model itself (not the raw-lines reconciliation, which reads others).
    result = run_dbt([*args, "--indirect-selection", "cautious"], raw, work)
    assert (work / "target" / "run_results.json").exists(), result.stdout[-4000:]
    failing = {name for name, (status, _) in node_results(work / "target").items() if status in ("fail", "error")}
    assert failing <= set(allowed_failures), result.stdout[-4000:]
    if not failing:
        assert result.returncode == 0, result.stdout[-4000:]


@pytest.fixture(scope="module")
def landed(tiny: TinyBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tiny build with one more day of raw files landed (not yet built), in which
    errors are planted: an old orders line with an unknown line_status, an old line given the
    key (file, line number) of a line of the new day, a wholly rejected file in the new day and
    one in an old partition (the table keeps that partition's lines as they were read)."""
    work = copy_build(tiny, tmp_path_factory.mktemp("scoped"))
    land_next_day(work / "raw")
    new_day = sorted(p.name for p in (work / "raw" / "orders").glob("dt=*"))[-1]
    (work / "raw" / "orders" / new_day / "garbage-new.jsonl").write_text(GARBAGE)
    (work / "raw" / "orders" / "dt=2025-12-10" / "garbage-old.jsonl").write_text(GARBAGE)
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        old = con.execute(
            f"select file_name, line_number from staging.{MODEL} where partition_date < date '2026-03-01'"
            " order by file_name, line_number limit 2"
        ).fetchall()
        con.execute(
            f"update staging.{MODEL} set line_status = 'bogus' where file_name = ? and line_number = ?", list(old[0])
        )
        con.execute(
            f"update staging.{MODEL} set file_name = ?, line_number = 1 where file_name = ? and line_number = ?",
            [f"orders/{new_day}/part-0.jsonl", *old[1]],
        )
    return work


@pytest.fixture(scope="module")
def daily(landed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The daily run of the orders lines model with its tests, on a copy of `landed`."""
    work = tmp_path_factory.mktemp("daily")
    shutil.copy(landed / "warehouse.duckdb", work / "warehouse.duckdb")
    dbt_or_fail(["build", "-s", MODEL], landed / "raw", work, frozenset({UNIQUE, STATUS}))
    return work


def wholly_rejected_files(work: Path, test: str) -> set[str]:
    """Runs the SQL dbt ran for the no_file_wholly_rejected test again: the files it reported."""
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        return {row[0] for row in con.execute(run_sql(work / "target", test)).fetchall()}


def test_incremental_run_tests_only_what_it_wrote(daily: Path) -> None:
    # (a) The scoped tests read the rows carrying this invocation's id, and no other rows.
    target = daily / "target"
    not_null = find_test(target, "not_null_" + MODEL + "_file_name")
    sql = run_sql(target, not_null)
    assert SCOPE_MARK in sql and f"dbt_invocation_id = '{invocation(target)}'" in sql
    with duckdb.connect(str(daily / "warehouse.duckdb"), read_only=True) as con:
        scoped = sql[sql.index("(") : sql.index("dbt_subquery")].strip()
        (tested,) = con.execute(f"select count(*) from {scoped} as tested").fetchone()
        (written, total) = con.execute(
            f"select count(*) filter (where dbt_invocation_id = ?), count(*) from staging.{MODEL}",
            [invocation(target)],
        ).fetchone()
    assert 0 < tested == written < total


def test_errors_in_what_the_run_wrote_are_caught(daily: Path) -> None:
    # (b) A key the run wrote that an old row also holds is a duplicate: the key test reads every
    # row sharing a key with a written row, not only the written rows.
    status = node_results(daily / "target")
    assert status[UNIQUE][0] == "fail"
    # The wholly rejected file of the new day is reported (warn level); the old one is not in
    # the table (the run did not read its partition).
    wholly = find_test(daily / "target", "no_file_wholly_rejected_" + MODEL)
    assert status[wholly][0] == "warn"
    files = wholly_rejected_files(daily, wholly)
    assert any(name.endswith("garbage-new.jsonl") for name in files)
    assert not any(name.endswith("garbage-old.jsonl") for name in files)


def test_old_errors_are_left_to_full_tests(daily: Path, landed: Path, tmp_path: Path) -> None:
    # (c) The old row with an unknown line_status is not re-reported by the daily run...
    assert node_results(daily / "target")[STATUS][0] == "pass"
    # ...but is caught by the next run with full_tests: true (the switch of the weekly job).
    work = tmp_path / "full_tests"
    work.mkdir()
    shutil.copy(daily / "warehouse.duckdb", work / "warehouse.duckdb")
    dbt_or_fail(
        ["build", "-s", MODEL, "--vars", "{full_tests: true}"], landed / "raw", work, frozenset({STATUS, UNIQUE})
    )
    results = node_results(work / "target")
    assert results[STATUS][0] == "fail"
    assert all(SCOPE_MARK not in run_sql(work / "target", name) for name in results)


def test_full_build_tests_whole_table(daily: Path, landed: Path, tmp_path: Path) -> None:
    # (c) A full build reads the old partition again: its wholly rejected file is reported, and
    # no test is scoped. So is a model built whole because its table did not exist.
    for how, args in (("full_refresh", ["--full-refresh"]), ("first_build", [])):
        work = tmp_path / how
        work.mkdir()
        shutil.copy(daily / "warehouse.duckdb", work / "warehouse.duckdb")
        if how == "first_build":
            with duckdb.connect(str(work / "warehouse.duckdb")) as con:
                con.execute(f"drop table staging.{MODEL}")
        dbt_or_fail(["build", "-s", MODEL, *args], landed / "raw", work)
        results = node_results(work / "target")
        assert all(SCOPE_MARK not in run_sql(work / "target", name) for name in results), how
        files = wholly_rejected_files(work, find_test(work / "target", "no_file_wholly_rejected_" + MODEL))
        assert any(name.endswith("garbage-old.jsonl") for name in files), how


def test_dbt_test_alone_tests_whole_tables(daily: Path, landed: Path, tmp_path: Path) -> None:
    # (d) `dbt test` builds nothing: every test reads the whole table, the old error is caught.
    work = tmp_path / "test_alone"
    work.mkdir()
    shutil.copy(daily / "warehouse.duckdb", work / "warehouse.duckdb")
    dbt_or_fail(["test", "-s", MODEL], landed / "raw", work, frozenset({STATUS, UNIQUE}))
    results = node_results(work / "target")
    assert results[STATUS][0] == "fail"
    assert all(SCOPE_MARK not in run_sql(work / "target", name) for name in results)


def test_weekly_schedule_runs_the_full_tests() -> None:
    # A weekly schedule runs a job whose `dbt build` carries full_tests: true; the daily job
    # leaves the switch off.
    from orchestration import definitions

    schedule = definitions.weekly_full_tests_schedule
    assert schedule.job_name == "full_tests_build" and schedule.execution_timezone == "Asia/Shanghai"
    minute, hour, day_of_month, month, day_of_week = schedule.cron_schedule.split()
    assert (day_of_month, month) == ("*", "*") and day_of_week.isdigit() and minute.isdigit() and hour.isdigit()
    assert schedule in definitions.defs.schedules and definitions.full_tests_build in definitions.defs.jobs
    config = definitions.full_tests_build.config["ops"]["warehouse_dbt_assets"]["config"]
    args = definitions.dbt_build_args(definitions.DbtBuildConfig(**config))
    assert args == ["build", "--vars", '{"full_tests": true}']
    assert definitions.dbt_build_args(definitions.DbtBuildConfig()) == ["build"]


# The tracking models' run scopes (models/staging/tracking/_tracking__models.yml).
TRACKING_RUN_SCOPES = {
    "base_tracking__event_lines": "dbt_invocation_id",
    "stg_tracking__events": "partition_date",
    "stg_tracking__event_identifiers": "partition_date",
}
TRACKING_CUTOFF = "2026-03-28"  # the tiny build's newest partition (2026-03-31) minus 3 days


def test_the_tracking_models_declare_their_run_scope() -> None:
    text = (PROJECT_DIR / "models" / "staging" / "tracking" / "_tracking__models.yml").read_text()
    for model, scope in TRACKING_RUN_SCOPES.items():
        start = text.index(f"  - name: {model}\n")
        end = text.find("\n  - name: ", start + 1)
        block = text[start:end]
        assert f"meta: {{run_scope: {scope}}}" in block and "record_run_scope()" in block, model


def test_partition_scope_of_the_tracking_models(landed: Path, tmp_path: Path) -> None:
    # A model scoped by partition_date tests the partitions from the run's cutoff on; a key of
    # those partitions that an old row also holds is still a duplicate.
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(landed / "warehouse.duckdb", work / "warehouse.duckdb")
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        old = con.execute(
            "select event_id from staging.stg_tracking__events where partition_date < date '2026-03-01'"
            " order by event_id limit 2"
        ).fetchall()
        (recent,) = con.execute(
            "select min(event_id) from staging.stg_tracking__events where partition_date = date '2026-03-31'"
        ).fetchone()
        con.execute("update staging.stg_tracking__events set event_name = 'bogus' where event_id = ?", [old[0][0]])
        con.execute("update staging.stg_tracking__events set event_id = ? where event_id = ?", [recent, old[1][0]])
    unique = "unique_stg_tracking__events_event_id"
    result = run_dbt(
        ["build", "-s", *TRACKING_RUN_SCOPES, "--indirect-selection", "cautious"],
        landed / "raw",
        work,
    )
    results = node_results(work / "target")
    failing = {name for name, (status, _) in results.items() if status in ("fail", "error")}
    # (The relationships test reads whole tables: never scoped.)
    relationships = [name for name in results if name.startswith("relationships_stg_tracking__event_identifiers")]
    assert failing == {unique}, result.stdout[-4000:]
    assert SCOPE_MARK not in run_sql(work / "target", relationships[0])
    names = [name for name in results if name.startswith("accepted_values_stg_tracking__events_event_name")]
    assert len(names) == 1 and results[names[0]][0] == "pass"
    sql = run_sql(work / "target", "not_null_stg_tracking__events_event_id")
    assert f"partition_date >= cast('{TRACKING_CUTOFF}' as date)" in sql
    sql = run_sql(work / "target", "not_null_base_tracking__event_lines_file_name")
    assert f"dbt_invocation_id = '{invocation(work / 'target')}'" in sql


def test_person_periods_scope_is_the_persons_rebuilt(landed: Path, tmp_path: Path) -> None:
    # The person-period marts (run_scope: person_periods) are tested, and PII-scanned, on the
    # rows of the persons the run rebuilt and of the periods it added: one person's input to the
    # activity is changed in an old period, so the activity rebuilds that person alone (no period
    # completed) and the lifecycle and transitions after it, from the logs. An error planted in
    # another person's old row is left to the full tests.
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(landed / "warehouse.duckdb", work / "warehouse.duckdb")
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        (changed, other) = [
            row[0]
            for row in con.execute(
                "select one_id from marts.fct_lifecycle_stages group by 1 having count(*) > 2 order by 1 limit 2"
            ).fetchall()
        ]
        con.execute(
            "update intermediate.int_person_events_as_of set event_at = event_at - interval 1 second"
            " where event_id = (select min_by(event_id, event_at) from intermediate.int_person_events_as_of"
            " where one_id = ?)",
            [changed],
        )
        con.execute(
            "update marts.fct_lifecycle_stages set lifecycle_stage = 'bogus'"
            " where one_id = ? and period_end = ("
            "select min(period_end) from marts.fct_lifecycle_stages where one_id = ?)",
            [other, other],
        )
    models = ["fct_lifecycle_stages", "fct_state_transitions"]
    selected = ["int_person_period_activity", *models, "assert_no_raw_pii_outside_pii_assets"]
    dbt_or_fail(["build", "-s", *selected], landed / "raw", work)
    target = work / "target"
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        for model in models:
            sql = run_sql(target, find_test(target, f"unique_combination_of_columns_{model}"))
            assert SCOPE_MARK in sql, model
            start = sql.rindex("(", 0, sql.index(SCOPE_MARK))
            scoped = sql[start : sql.index("dbt_subquery", start)].strip()
            tested = {row[0] for row in con.execute(f"select distinct one_id from {scoped} as tested").fetchall()}
            # (The transitions rebuild the persons the lifecycle logged: not the other person,
            # whose stage was changed by hand.)
            assert tested == {changed}, model
        scan = (
            target / "compiled/user_asset_warehouse/tests/singular/assert_no_raw_pii_outside_pii_assets.sql"
        ).read_text()
        assert "dbt_run_persons__fct_state_transitions" in scan
    # The old 'bogus' stage is another person's: caught by the full tests only.
    stage = find_test(target, "accepted_values_fct_lifecycle_stages_lifecycle_stage")
    assert node_results(target)[stage][0] == "pass"
    full = tmp_path / "full"
    full.mkdir()
    shutil.copy(work / "warehouse.duckdb", full / "warehouse.duckdb")
    dbt_or_fail(["build", "-s", *models, "--vars", "{full_tests: true}"], landed / "raw", full, frozenset({stage}))
    assert node_results(full / "target")[stage][0] == "fail"


def test_a_view_is_tested_on_the_rows_its_model_wrote(landed: Path, tmp_path: Path) -> None:
    # fct_events, a view with one row per resolved event (run_scope {rows_of, key}), is tested on
    # the events the resolution wrote once its SQL has been tested whole: a duplicate the run
    # wrote is caught, an old one is left to the full tests. SQL not yet tested whole (a first
    # build, a change, even built since by a run without its tests) is tested whole.
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(landed / "warehouse.duckdb", work / "warehouse.duckdb")
    target = work / "target"
    tested = "select definition from audit.dbt_view_tested__fct_events"
    # A first build of the view: tested whole, and its SQL recorded as tested (the md5 of what
    # dbt compiled, not of an empty text).
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        # (The tiny build, with the same SQL, recorded it as tested: as if it had not.)
        con.execute("drop table if exists audit.dbt_view_tested__fct_events")
    # (dim_persons too: the view's relationships test reads it, and every test of the view must
    # pass for its SQL to count as tested.)
    dbt_or_fail(["build", "-s", "fct_events", "dim_persons"], landed / "raw", work)
    assert SCOPE_MARK not in run_sql(target, "unique_fct_events_event_id")
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        ledger = "select scope_column from audit.dbt_run_scope__fct_events"
        assert con.execute(ledger).fetchall() == [("definition_changed",)]
    compiled = (target / "compiled/user_asset_warehouse/models/marts/identity/fct_events.sql").read_text()
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        assert con.execute(tested).fetchall() == [(hashlib.md5(compiled.encode()).hexdigest(),)]
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        # An old duplicate, in partitions the run does not rewrite.
        old = con.execute(
            "select event_id from intermediate.int_events_resolved_to_persons"
            " where partition_date < date '2026-03-01' order by event_id limit 2"
        ).fetchall()
        con.execute(
            "update intermediate.int_events_resolved_to_persons set event_id = ? where event_id = ?",
            [old[0][0], old[1][0]],
        )
        # A duplicate the run writes: a recent staged event twice.
        con.execute(
            "insert into staging.stg_tracking__events select * from staging.stg_tracking__events"
            " where event_id = (select min(event_id) from staging.stg_tracking__events"
            " where partition_date = date '2026-03-31')"
        )
    models = ["int_events_resolved_to_persons", "fct_events", "dim_persons"]
    unique_resolved = "unique_int_events_resolved_to_persons_event_id"
    unique_events = "unique_fct_events_event_id"
    # (The same duplicate fails the model's own test, which would skip the view: left out here.)
    dbt_or_fail(
        ["build", "-s", *models, "--exclude", unique_resolved], landed / "raw", work, frozenset({unique_events})
    )
    results = node_results(target)
    sql = run_sql(target, unique_events)
    assert SCOPE_MARK in sql and "scoped_rows" in sql
    assert results[unique_events] == ("fail", 1)  # the new duplicate, not the old one

    # The view's SQL as if changed (not the one tested), then built by a run without its tests:
    # the next build still tests it whole.
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        con.execute("update audit.dbt_view_tested__fct_events set definition = 'an older definition'")
        con.execute(
            "delete from staging.stg_tracking__events where rowid = (select max(rowid)"
            " from staging.stg_tracking__events where event_id = (select min(event_id)"
            " from staging.stg_tracking__events where partition_date = date '2026-03-31'))"
        )
    dbt_or_fail(["run", "-s", *models], landed / "raw", work)
    dbt_or_fail(["build", "-s", *models], landed / "raw", work, frozenset({unique_events}))
    results = node_results(target)
    assert SCOPE_MARK not in run_sql(target, unique_events)
    assert results[unique_events] == ("fail", 1)  # the old duplicate
    assert results[unique_resolved][0] == "pass"
    # A failing whole test records nothing: the view stays untested.
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute(tested).fetchall() == [("an older definition",)]


def test_a_union_view_is_tested_per_branch_on_what_its_models_wrote(landed: Path, tmp_path: Path) -> None:
    # int_identity_record_identifiers, a view over the staged event, order and CRM identifiers
    # (run_scope {union_of, by}), is tested per branch on what that branch's model wrote in the
    # run: the event and CRM partitions from their cutoffs, every order (rebuilt whole). A
    # duplicate the run writes is caught; one in an old event partition is left to the full tests.
    view = "int_identity_record_identifiers"
    models = ["stg_tracking__event_identifiers", "stg_oms__order_identifiers", "stg_crm__member_identifiers", view]
    grain = f"unique_combination_of_columns_{view}_record_source__record_id__identifier_key"
    staged_grain = "unique_combination_of_columns_stg_tracking__event_identifiers_event_id__identifier_type"
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(landed / "warehouse.duckdb", work / "warehouse.duckdb")
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        # (The tiny build tested the view's SQL whole and recorded it, so a daily run is scoped.)
        assert con.execute(f"select count(*) from audit.dbt_view_tested__{view}").fetchone() == (1,)
        # An old duplicate, in a partition the run does not rewrite.
        con.execute(
            "insert into staging.stg_tracking__event_identifiers select * from staging.stg_tracking__event_identifiers"
            " where identifier_status = 'valid' and partition_date < date '2026-03-01'"
            " order by event_id, identifier_type limit 1"
        )
        # A duplicate the run writes: an accepted event line of the newest partition read twice,
        # which repeats each valid identifier of its event.
        (event_id,) = con.execute(
            "select event_id from staging.stg_tracking__event_identifiers"
            " where identifier_status = 'valid' and partition_date = date '2026-03-31'"
            " order by event_id limit 1"
        ).fetchone()
        (repeated,) = con.execute(
            "select count(*) from staging.stg_tracking__event_identifiers"
            " where identifier_status = 'valid' and event_id = ?",
            [event_id],
        ).fetchone()
        con.execute(
            "insert into staging.base_tracking__event_lines select * replace (line_number + 1000000 as line_number)"
            " from staging.base_tracking__event_lines where line_status = 'accepted' and event_id = ?",
            [event_id],
        )
    assert repeated > 0
    # (The staged model's own grain test fails on the same duplicate and would skip the view.)
    dbt_or_fail(["build", "-s", *models, "--exclude", staged_grain], landed / "raw", work, frozenset({grain}))
    target = work / "target"
    sql = run_sql(target, grain)
    assert SCOPE_MARK in sql
    assert "(record_source = 'event' and partition_date >= cast(" in sql
    assert "(record_source = 'crm' and partition_date >= cast(" in sql
    assert "or record_source = 'order' or" in sql
    assert "record_source not in ('crm', 'event', 'order')" in sql
    assert node_results(target)[grain] == ("fail", repeated)  # the new duplicates, not the old one

    # The weekly full tests read it whole: the old duplicate too.
    dbt_or_fail(["test", "-s", view, "--vars", "{full_tests: true}"], landed / "raw", work, frozenset({grain}))
    assert SCOPE_MARK not in run_sql(target, grain)
    assert node_results(target)[grain] == ("fail", repeated + 1)

    # A branch whose model this run did not build is read whole: an old CRM duplicate is caught.
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        con.execute(
            "insert into staging.stg_crm__member_identifiers select * from staging.stg_crm__member_identifiers"
            " where identifier_status = 'valid' and partition_date < date '2026-03-01'"
            " order by member_id, updated_at, identifier_type limit 1"
        )
    events_only = ["stg_tracking__event_identifiers", view, "--exclude", staged_grain]
    dbt_or_fail(["build", "-s", *events_only], landed / "raw", work, frozenset({grain}))
    sql = run_sql(target, grain)
    assert "(record_source = 'event' and partition_date >= cast(" in sql
    assert "(record_source = 'crm' and" not in sql and "(record_source = 'crm' or " in sql
    assert node_results(target)[grain] == ("fail", repeated + 1)
