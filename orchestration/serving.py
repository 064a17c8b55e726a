"""The serving copy for BI: after a successful build, every mart is published to a separate
DuckDB file and to one Parquet file per mart, so BI tools read while the next build writes.

Both are written aside and renamed into place (`os.replace`, atomic on POSIX): a reader sees the
old copy or the new one, never a half-written table. The DuckDB file is written in the storage
format of DuckDB 1.4, so BI tools that embed an older DuckDB can open it. BI connects read-only,
e.g. through SQLAlchemy and duckdb-engine: `duckdb:///<path>/serving/warehouse_serving.duckdb?access_mode=read_only`.

usage: python -m orchestration.serving   (publishes the marts of USER_ASSETS_DUCKDB_PATH)
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import duckdb

from orchestration import safe_paths, settings

SERVING_FILE = "warehouse_serving.duckdb"
STORAGE_VERSION = "v1.4.0"


def serving_dir() -> Path:
    return settings._resolve(os.environ.get("USER_ASSETS_SERVING_DIR", "serving"))


def publish(build_database: Path | None = None, target_dir: Path | None = None) -> dict[str, int]:
    """Copy every table and view of the `marts` schema (views, such as the inventory's, become
    tables); returns rows per mart."""
    build_database = build_database or settings.duckdb_path()
    target_dir = target_dir or serving_dir()
    # Files are replaced in there: a new, empty or earlier serving folder only (USER_ASSETS_SERVING_DIR).
    safe_paths.claim(target_dir, creator="python -m orchestration.serving")
    parquet_dir = target_dir / "parquet"
    parquet_dir.mkdir(exist_ok=True)
    final = target_dir / SERVING_FILE
    aside = target_dir / f".{SERVING_FILE}.{os.getpid()}.tmp"
    safe_paths.remove(aside)
    counts: dict[str, int] = {}
    # An in-memory connection attaches the build read-only and the new file read-write. The build
    # keeps its own name (dbt names the database after the file stem) so that its views resolve.
    catalog = build_database.stem
    with duckdb.connect() as con:
        con.execute(f"attach '{build_database}' as \"{catalog}\" (read_only)")
        con.execute(f'use "{catalog}"')
        marts = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables"
                " where table_catalog = ? and table_schema = 'marts' and table_type in ('BASE TABLE', 'VIEW')"
                " order by 1",
                [catalog],
            ).fetchall()
        ]
        if not marts:
            raise RuntimeError(f"{build_database} has no tables in schema marts: run `dbt build` first")
        con.execute(f"attach '{aside}' as serving (storage_version '{STORAGE_VERSION}')")
        for name in marts:
            con.execute(f'create table serving.main."{name}" as select * from marts."{name}"')
            counts[name] = con.execute(f'select count(*) from serving.main."{name}"').fetchone()[0]
            part = parquet_dir / f".{name}.parquet.tmp"
            con.execute(f"copy (select * from marts.\"{name}\") to '{part}' (format parquet)")
            os.replace(part, parquet_dir / f"{name}.parquet")
        published_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        con.execute(
            "create table serving.main._published (table_name varchar, row_count bigint, published_at timestamp)"
        )
        con.executemany(
            "insert into serving.main._published values (?, ?, ?)",
            [(name, count, published_at) for name, count in counts.items()],
        )
        con.execute("detach serving")
    os.replace(aside, final)
    return counts


def main() -> int:
    try:
        counts = publish()
    except safe_paths.NotOurs as refused:
        print(f"{refused}\nPoint USER_ASSETS_SERVING_DIR at a new or empty folder.", file=sys.stderr)
        return 1
    print(f"published {len(counts)} marts to {serving_dir() / SERVING_FILE} and {serving_dir() / 'parquet'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
