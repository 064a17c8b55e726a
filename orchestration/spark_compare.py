"""`make test-spark`: build the same raw data on DuckDB and on Spark and compare every mart.

    python -m orchestration.spark_compare --duckdb <warehouse.duckdb> [--skip-build]

The DuckDB warehouse is built first (by make, with the plain `dbt build`). This process then runs
`dbt build --target spark` in one local Spark session (orchestration.spark_dbt) and compares each
table of the `marts` schema: the row count, then every row, as a multiset. Text, integers, dates,
timestamps and booleans must be equal; floating point values may differ by a relative 1e-9, the
order in which the engines sum. Marts listed in EXPECTED_DIFFERENCES are reported with their
reason and not compared. Exit status 0 when every other mart is identical.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import math
import os
import sys
import time
from pathlib import Path

import duckdb

from orchestration import spark_dbt

REL_TOLERANCE = 1e-9
ABS_TOLERANCE = 1e-9

# Columns allowed to differ by a stated amount, with the reason.
KNOWN_COLUMN_DIFFERENCES = {
    ("dim_persons", "average_order_value"): (
        0.01,
        "one cent where the average is an exact half cent: DuckDB divides decimals in double precision "
        "(80.945 is stored as 80.94499…, rounded down), Spark exactly (rounded half up)",
    ),
}

# Marts whose content depends on the run itself rather than on the data.
EXPECTED_DIFFERENCES = {
    "dim_data_assets": "the inventory scores each run from its own timings and run history (audit schema)",
    "fct_data_asset_scores": "the inventory scores each run from its own timings and run history (audit schema)",
}


def canonical(value: object) -> object:
    """A value both engines' Python drivers agree on: numbers as float, dates and times as naive UTC."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, decimal.Decimal | int | float):
        return float(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    if isinstance(value, dt.date):
        # A pandas frame written by a Python model has no date type: DuckDB stores a timestamp.
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, list | tuple):
        return tuple(canonical(v) for v in value)
    return value


def sort_key(row: tuple) -> tuple:
    # Rounded floats sort equal values from both engines together; None sorts first.
    return tuple((0, "") if v is None else (1, f"{v:.6g}") if isinstance(v, float) else (1, str(v)) for v in row)


def values_equal(a: object, b: object, abs_tolerance: float = ABS_TOLERANCE) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=abs_tolerance)
    return a == b


def compare_rows(
    columns: list[str], ours: list[tuple], theirs: list[tuple], tolerances: dict[str, float] | None = None
) -> str | None:
    """None when equal (a column in `tolerances` may differ by that much), else a sentence naming
    the differing columns."""
    if len(ours) != len(theirs):
        return f"{len(ours)} rows on DuckDB, {len(theirs)} on Spark"
    tolerances = tolerances or {}
    left = sorted((tuple(canonical(v) for v in row) for row in ours), key=sort_key)
    right = sorted((tuple(canonical(v) for v in row) for row in theirs), key=sort_key)
    differing: dict[str, int] = {}
    example: dict[str, tuple] = {}
    for a, b in zip(left, right, strict=True):
        for name, x, y in zip(columns, a, b, strict=True):
            if not values_equal(x, y, tolerances.get(name, ABS_TOLERANCE) + ABS_TOLERANCE):
                differing[name] = differing.get(name, 0) + 1
                example.setdefault(name, (x, y))
    if not differing:
        return None
    return "; ".join(
        f"{name}: {count} rows differ (e.g. DuckDB {example[name][0]!r}, Spark {example[name][1]!r})"
        for name, count in sorted(differing.items())
    )


def duckdb_tables(database: Path, schema: str) -> dict[str, tuple[list[str], list[tuple]]]:
    with duckdb.connect(str(database), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = ? order by 1", [schema]
            ).fetchall()
        ]
        out = {}
        for name in names:
            result = con.execute(f"select * from {schema}.{name}")
            out[name] = ([d[0] for d in result.description], result.fetchall())
        return out


def spark_table(spark, name: str, columns: list[str]) -> list[tuple] | None:
    if not spark.catalog.tableExists(name):
        return None
    return [tuple(row) for row in spark.table(name).select(*columns).collect()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duckdb", type=Path, required=True, help="the DuckDB warehouse built from the same raw data")
    parser.add_argument("--skip-build", action="store_true", help="compare with the Spark tables already built")
    parser.add_argument("--schema", default="marts", help="the schema to compare (default: marts)")
    args = parser.parse_args(argv)
    if not args.duckdb.exists():
        raise SystemExit(f"No DuckDB warehouse at {args.duckdb}: build it first (make test-spark does).")

    os.environ["TZ"] = "UTC"  # pyspark turns timestamps into local-time datetimes
    time.tzset()
    spark_dbt.prepare_environment()
    started = time.perf_counter()
    if args.skip_build:
        # Any dbt command starts the session with the profile's metastore and warehouse.
        spark_dbt.run_dbt(["show", "--inline", "select 1 as started", "--quiet"])
    elif not spark_dbt.run_dbt(["build"]):
        print("dbt build on Spark failed; see the log above.", file=sys.stderr)
        return 1
    build_seconds = time.perf_counter() - started

    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    reference = duckdb_tables(args.duckdb, args.schema)
    identical, explained, failed = [], [], []
    for name, (columns, rows) in reference.items():
        if name in EXPECTED_DIFFERENCES:
            explained.append((name, EXPECTED_DIFFERENCES[name]))
            continue
        theirs = spark_table(spark, f"{args.schema}.{name}", columns)
        tolerances = {column: tol for (mart, column), (tol, _) in KNOWN_COLUMN_DIFFERENCES.items() if mart == name}
        problem = "not built on Spark" if theirs is None else compare_rows(columns, rows, theirs, tolerances)
        (failed.append((name, problem)) if problem else identical.append((name, len(rows))))

    print(f"\nSpark build {build_seconds:.0f} s. Tables of {args.schema} compared with DuckDB ({len(reference)}):")
    for name, count in identical:
        print(f"  identical   {name} ({count} rows)")
    for name, reason in explained:
        print(f"  not compared {name}: {reason}")
    for (name, column), (tolerance, reason) in KNOWN_COLUMN_DIFFERENCES.items():
        print(f"  allowed     {name}.{column} may differ by {tolerance}: {reason}")
    for name, problem in failed:
        print(f"  DIFFERS     {name}: {problem}")
    print(f"{len(identical)} identical, {len(explained)} not compared (reason given), {len(failed)} differing.")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
