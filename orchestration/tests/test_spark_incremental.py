"""On Spark the event-scale models are incremental by partition (dbt-spark's `insert_overwrite`
with `partition_by`, docs/spark.md): a daily run after one more landed day rewrites only the
date partitions from the model's cutoff on, leaves the older partitions' parquet files as they
were, and its tables and marts equal a full build of the same days.

The full build compared with is DuckDB's (about a minute), not a second Spark build (five more
minutes): `make test-spark` has just shown, mart by mart, that a full Spark build equals a full
DuckDB build of the same data (orchestration.spark_compare, with the same stated differences and
tolerances used here), so daily Spark = full DuckDB means daily Spark = full Spark.

Runs under `make test-spark` only (marked `spark`; not in `make test`), which passes
its work folder in USER_ASSETS_SPARK_TEST_BUILD_DIR: its raw tiny tier and the full Spark build of
it (made by spark_compare) become the first daily build here, extended in place. Run alone, the
test generates the tiny tier and builds it on Spark first (five more minutes).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import PROJECT_DIR
from orchestration.spark_compare import EXPECTED_DIFFERENCES, KNOWN_COLUMN_DIFFERENCES, compare_rows
from orchestration.tests.dbt_helpers import build_or_fail
from orchestration.tests.tiny_build import TINY_SEED, land_next_day, run_simulator, simulate

# On the Spark build of `make test-spark`, not in `make test`.
pytestmark = pytest.mark.spark

# The event-scale models, incremental by date partition on Spark (schema, model).
PARTITIONED_MODELS = [
    ("staging", "base_tracking__event_lines"),
    ("staging", "stg_tracking__events"),
    ("staging", "stg_tracking__event_identifiers"),
    ("staging", "base_oms__order_lines"),
    ("staging", "base_crm__member_lines"),
    ("staging", "stg_crm__member_updates"),
    ("staging", "stg_crm__member_identifiers"),
    ("staging", "base_marketing__campaign_touch_lines"),
    ("staging", "stg_marketing__campaign_touches"),
]
# Campaign touches land on send days only: the landed day may bring none.
LANDS_EVERY_DAY = {model for _, model in PARTITIONED_MODELS} - {
    "base_marketing__campaign_touch_lines",
    "stg_marketing__campaign_touches",
}
# The tiny tier covers 120 days up to 2026-03-31; the test lands the next one.
LANDED_DAY = "2026-04-01"
PARTITION = "partition_date"
# Differs between any two runs of the same data (the run that wrote the line).
RUN_COLUMNS = {"dbt_invocation_id"}
# Kept as received on DuckDB, re-serialised from VARIANT on Spark (docs/spark.md).
RESERIALISED_JSON = {"identities_json", "properties_json", "items_json"}
# A Spark run of every model and seed (make test-spark has run the tests on its full build).
RUN_MODELS = ("build", "--exclude-resource-type", "test", "unit_test")


def spark_dbt(raw: Path, spark_dir: Path, *args: str) -> None:
    """One dbt command on the spark target, in its own process: a Spark session keeps the
    warehouse and metastore folders it started with, and Derby lets one process at a time in."""
    env = dict(os.environ)
    env.update(
        {
            "DBT_PROFILES_DIR": str(PROJECT_DIR),
            "DBT_PROJECT_DIR": str(PROJECT_DIR),
            "USER_ASSETS_RAW_DIR": str(raw),
            "USER_ASSETS_SPARK_DIR": str(spark_dir),
            "DBT_TARGET_PATH": str(spark_dir / "target"),
            "DBT_LOG_PATH": str(spark_dir / "logs"),
        }
    )
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.spark_dbt", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} on Spark failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")


def table_dir(spark_dir: Path, schema: str, table: str) -> Path:
    return spark_dir / "warehouse" / f"{schema}.db" / table


def partition_files(spark_dir: Path, schema: str, table: str, column: str = PARTITION) -> dict[str, dict[str, int]]:
    """Per date partition folder of the table, its parquet files and their modification times."""
    folder = table_dir(spark_dir, schema, table)
    out: dict[str, dict[str, int]] = {}
    for path in folder.glob(f"{column}=*/*.parquet"):
        out.setdefault(path.parent.name.split("=", 1)[1], {})[path.name] = path.stat().st_mtime_ns
    return out


def spark_rows(spark_dir: Path, schema: str, table: str, columns: list[str], where: str = "true") -> list[tuple]:
    """The Spark table's rows (`columns`, in that order) read from its parquet files, the partition
    columns from the folder names."""
    files = sorted(table_dir(spark_dir, schema, table).rglob("*.parquet"))
    if not files:
        return []
    with duckdb.connect() as con:
        relation = con.read_parquet([str(f) for f in files], hive_partitioning=True)
        return relation.filter(where).select(*[f'"{c}"' for c in columns]).fetchall()


def duckdb_rows(database: Path, schema: str, table: str, where: str = "true") -> tuple[list[str], list[tuple]]:
    """The DuckDB table's rows, without the columns that differ by design (RUN_COLUMNS and the
    re-serialised JSON fragments)."""
    with duckdb.connect(str(database), read_only=True) as con:
        relation = con.table(f"{schema}.{table}")
        columns = [c for c in relation.columns if c not in RUN_COLUMNS | RESERIALISED_JSON]
        return columns, relation.filter(where).select(*[f'"{c}"' for c in columns]).fetchall()


def duckdb_marts(database: Path) -> list[str]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute("select table_name from information_schema.tables where table_schema = 'marts'").fetchall()
    assert len(rows) > 20, f"expected the marts in {database}"
    return sorted({name for (name,) in rows} - set(EXPECTED_DIFFERENCES))


def test_spark_daily_run_overwrites_only_recent_partitions_and_equals_a_full_build(tmp_path: Path) -> None:
    prebuilt = os.environ.get("USER_ASSETS_SPARK_TEST_BUILD_DIR")
    daily_raw = tmp_path / "daily-raw"
    if prebuilt:
        # make test-spark's work folder: the 120 days built on Spark by spark_compare.
        shutil.copytree(Path(prebuilt) / "raw", daily_raw)
        # --land-next-day reads the sample's manifest beside its raw folder.
        shutil.copytree(Path(prebuilt) / "truth", tmp_path / "truth")
        daily = Path(prebuilt) / "spark"
    else:
        simulate("tiny", TINY_SEED, daily_raw)
        daily = tmp_path / "daily-spark"
        spark_dbt(daily_raw, daily, *RUN_MODELS)
    before = {model: partition_files(daily, schema, model) for schema, model in PARTITIONED_MODELS}
    for _, model in PARTITIONED_MODELS:
        assert before[model], f"{model} has no `{PARTITION}=` folders on Spark: not partitioned, rebuilt whole"

    # One more day lands; the daily run extends the Spark build.
    land_next_day(daily_raw)
    spark_dbt(daily_raw, daily, *RUN_MODELS)

    for schema, model in PARTITIONED_MODELS:
        after = partition_files(daily, schema, model)
        rewritten = sorted(day for day in after if after[day] != before[model].get(day))
        kept = sorted(day for day in after if after[day] == before[model].get(day))
        assert rewritten, f"{model}: the daily run wrote no partition"
        # Only whole partitions from a cutoff on were written; every older one is untouched.
        assert kept and max(kept) < min(rewritten), f"{model}: kept {kept[-3:]}, rewrote {rewritten[:3]}"
        assert set(before[model]) <= set(after), f"{model}: partitions disappeared"
        assert len(rewritten) <= 5, f"{model}: rewrote {len(rewritten)} partitions, expected the look-back only"
        if model in LANDS_EVERY_DAY:
            assert LANDED_DAY in rewritten, f"{model}: the landed day {LANDED_DAY} was not written"
    # The coverage mart keeps its trend: the first run's as-of date and the landed one's.
    coverage_dates = sorted(partition_files(daily, "marts", "fct_user_asset_coverage", "as_of_date"))
    assert len(coverage_dates) == 2 and coverage_dates[-1] == LANDED_DAY, coverage_dates

    # The same 121 days generated and built in one go (on DuckDB: see the module's docstring).
    full_raw, full = tmp_path / "full-raw", tmp_path / "full"
    run_simulator(
        "--tier", "tiny", "--seed", str(TINY_SEED), "--days", "121", "--end-date", LANDED_DAY, "--out", str(full_raw)
    )
    database = build_or_fail(full_raw, full)

    # Marts that are views have no files to read: only fct_events, a view over the resolved events.
    views = {name for name in duckdb_marts(database) if not table_dir(daily, "marts", name).is_dir()}
    assert views == {"fct_events"}, f"marts without a Spark table folder: {sorted(views)}"
    compared = PARTITIONED_MODELS + [("marts", name) for name in duckdb_marts(database) if name not in views]
    differing = {}
    for schema, table in compared:
        # A full build's coverage mart holds its one as-of date.
        where = f"as_of_date = date '{LANDED_DAY}'" if table == "fct_user_asset_coverage" else "true"
        columns, ours = duckdb_rows(database, schema, table, where)
        tolerances = {c: tol for (mart, c), (tol, _) in KNOWN_COLUMN_DIFFERENCES.items() if mart == table}
        problem = compare_rows(columns, ours, spark_rows(daily, schema, table, columns, where), tolerances)
        if problem:
            differing[f"{schema}.{table}"] = problem
    assert differing == {}, "the daily Spark runs differ from a full build (DuckDB first, Spark second)"
