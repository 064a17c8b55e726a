"""The serving copy for BI: after a successful build, every mart is published to a separate
DuckDB file and to one Parquet file per mart, so BI tools read while the next build writes.

Each publish writes a complete new version and switches readers to it in one step:

    serving/
      versions/<id>/warehouse_serving.duckdb   the marts, and table `_published` (rows per mart)
      versions/<id>/parquet/<mart>.parquet
      current -> versions/<id>                 replaced atomically (os.replace of a new symlink)
      warehouse_serving.duckdb -> current/warehouse_serving.duckdb    the stable reader paths
      parquet -> current/parquet
      .publish.lock                            held (flock) by the publisher, with its PID

A version is written aside with an in-progress marker, fsynced, marked complete, then `current`
is switched: a publish killed at any moment leaves readers on the previous complete version, and
the next publish removes what it left (only version directories carrying the in-progress marker,
and the publisher's own temporary names). The last KEEP_VERSIONS versions stay for readers that
still have one open. A reader that reads several Parquet files and wants one version resolves
`serving/current` once and reads under it.

Only a complete, successful build is published (every mart the dbt manifest declares exists and
its last dbt result in the build's run history, audit.dbt_node_results, is a success with no
failed test); `--force` publishes anyway with a warning. A second publisher, or a build database
held by a running dbt, fails at once with a message saying who holds what.

In the DuckDB file the marts keep the schema dbt gives them: `marts.dim_persons` there is
`marts.dim_persons` in dbt docs. For queries written against earlier copies, which held the marts in
`main`, `main.<mart>` is a view of `marts.<mart>` (so `select * from dim_persons` still answers).
Tables, views and columns carry the dbt descriptions as comments (dbt persists them on the build,
`persist_docs`; this copies them), and every timestamp says it is UTC: a TIMESTAMP column or a
column named `*_at` whose description does not mention UTC gets "(UTC)" appended. A mart with a
period column gets a flag for BI filters, computed here because the copy is rewritten whole on
every publish (in dbt it would rewrite the old rows of incremental marts on every new period):
`is_latest_snapshot` (snapshot_date is the newest in the mart) and `is_latest_period` (period_end
is). Parquet files cannot hold a schema: parquet/<mart>.parquet has the same columns as
`marts.<mart>`, flags included; their descriptions are only in the DuckDB file.

The DuckDB file is written in the storage format of DuckDB 1.4, so BI tools that embed an older
DuckDB can open it. BI connects read-only, e.g. through SQLAlchemy and duckdb-engine:
`duckdb:///<path>/serving/warehouse_serving.duckdb?access_mode=read_only`.

usage: python -m orchestration.serving [--force]   (publishes the marts of USER_ASSETS_DUCKDB_PATH)
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb

from orchestration import safe_paths, settings

SERVING_FILE = "warehouse_serving.duckdb"
PARQUET_DIR = "parquet"
CURRENT = "current"
VERSIONS = "versions"
LOCK_FILE = ".publish.lock"
# Written into every version directory the publisher creates; only such directories are removed.
PUBLISHER_MARK = ".serving-version"
# Present while a version is being written: a version carrying it is incomplete.
IN_PROGRESS_MARK = ".in-progress"
# Complete versions kept for readers that still have one open (each is a full copy of the marts).
KEEP_VERSIONS = max(1, int(os.environ.get("USER_ASSETS_SERVING_KEEP_VERSIONS", "2")))
STORAGE_VERSION = "v1.4.0"
MARTS_SCHEMA = "marts"
# The publisher's temporary names in serving/ (`.<name>.<pid>.tmp` symlinks, the old layout's
# `.warehouse_serving.duckdb.<pid>.tmp[.wal]` and `.parquet.<pid>.old`): removed under the lock.
LEFTOVER_NAME = re.compile(r"^\.[\w.-]+\.\d+\.(tmp(\.wal)?|old)$")
FAILED_STATUSES = ("error", "fail", "runtime error", "skipped")
# A mart with this column gets this flag in the serving copy (module docstring).
LATEST_FLAGS = {"snapshot_date": "is_latest_snapshot", "period_end": "is_latest_period"}

log = logging.getLogger(__name__)


class PublishError(RuntimeError):
    """A publish that must not go ahead; the message names the file at fault and what to do."""


def serving_dir() -> Path:
    return settings._resolve(os.environ.get("USER_ASSETS_SERVING_DIR", "serving"))


def dbt_target_dir() -> Path:
    """Where dbt writes its manifest (the same variable dbt reads)."""
    return settings._resolve(os.environ.get("DBT_TARGET_PATH", "target"))


def publish(
    build_database: Path | None = None,
    target_dir: Path | None = None,
    *,
    force: bool = False,
    manifest: Path | None = None,
) -> dict[str, int]:
    """Publish every table and view of the `marts` schema (views, such as the inventory's, become
    tables) as a new version and switch readers to it; returns rows per mart. Raises PublishError
    when another publish runs, the build is held by another process, or the build failed or is
    partial (unless `force`)."""
    build_database = build_database or settings.duckdb_path()
    target_dir = target_dir or serving_dir()
    manifest = manifest or dbt_target_dir() / "manifest.json"
    # Versions are written and removed in there: a new, empty or earlier serving folder only.
    adopt_previous_layout(target_dir)
    safe_paths.claim(target_dir, creator="python -m orchestration.serving")
    with publisher_lock(target_dir):
        remove_leftovers(target_dir)
        # An in-memory connection attaches the build read-only and the new file read-write. The
        # build keeps its own name (dbt names the database after the file stem) so its views resolve.
        catalog = build_database.stem
        with duckdb.connect() as con:
            attach_build(con, build_database, catalog)
            marts = [
                name
                for (name,) in con.execute(
                    "select table_name from information_schema.tables where table_catalog = ?"
                    " and table_schema = ? and table_type in ('BASE TABLE', 'VIEW') order by 1",
                    [catalog, MARTS_SCHEMA],
                ).fetchall()
            ]
            if not marts:
                raise PublishError(f"{build_database} has no tables in schema marts: run `dbt build` first")
            problems = build_problems(con, catalog, set(marts), manifest)
            if problems and not force:
                raise PublishError(
                    f"{build_database} is not a complete, successful build, so it is not published:\n  - "
                    + "\n  - ".join(problems)
                    + "\nFix the build (`make build`) and publish again, or publish it anyway with --force"
                    " (`make publish FORCE=1`)."
                )
            if problems:
                log.warning(
                    "publishing %s although it is not a complete, successful build (--force):\n  - %s",
                    build_database,
                    "\n  - ".join(problems),
                )
            version = start_version(target_dir)
            try:
                counts = write_version(con, marts, version)
            except BaseException:
                safe_paths.remove(version)
                raise
        switch_to(target_dir, version)
        remove_old_versions(target_dir)
    return counts


def adopt_previous_layout(target_dir: Path) -> None:
    """A serving folder written before folders were marked (a plain warehouse_serving.duckdb with
    the publisher's `_published` table) is the publisher's: mark it so the upgrade can proceed."""
    previous = target_dir / SERVING_FILE
    if previous.is_symlink() or not previous.is_file() or safe_paths.owner(target_dir):
        return
    if not safe_paths.is_duckdb_file(previous):
        return
    with contextlib.suppress(duckdb.Error), duckdb.connect(str(previous), read_only=True) as con:
        if con.execute("select count(*) from information_schema.tables where table_name = '_published'").fetchone()[0]:
            safe_paths.mark(target_dir, creator="python -m orchestration.serving (a serving copy from before versions)")


@contextlib.contextmanager
def publisher_lock(target_dir: Path) -> Iterator[None]:
    """An exclusive lock on serving/.publish.lock for the whole publish; the kernel releases it
    when the publisher exits, even on kill -9, so the file is never deleted by hand."""
    path = target_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise PublishError(
                f"another publish is running: {path} is locked by PID {holder}. Wait for it to finish,"
                " then publish again (the lock is released when that process ends)."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def attach_build(con: duckdb.DuckDBPyConnection, build_database: Path, catalog: str) -> None:
    if not build_database.exists():
        raise PublishError(f"{build_database} does not exist: run `dbt build` (`make build`) first")
    try:
        con.execute(f"attach '{build_database}' as \"{catalog}\" (read_only)")
    except duckdb.IOException as error:
        if "lock" not in str(error).lower():
            raise
        pid = re.search(r"PID (\d+)", str(error))
        holder = f"PID {pid.group(1)}" if pid else "another process"
        raise PublishError(
            f"{build_database} is held read-write by {holder} (a running `dbt build`, or another"
            " writer): DuckDB lets one process write or many read. Wait for it to finish, then run"
            " `make publish` again (a Dagster build publishes on its own when it succeeds)."
        ) from None
    con.execute(f'use "{catalog}"')


def build_problems(con: duckdb.DuckDBPyConnection, catalog: str, present: set[str], manifest: Path) -> list[str]:
    """Why the attached build is not a complete, successful build of the marts the manifest
    declares (empty when it is): missing marts, and marts or their tests whose last dbt result in
    the build's own run history (audit.dbt_node_results) is not a success."""
    if not manifest.exists():
        return [f"{manifest} is missing, so the marts the project declares are unknown: run `dbt parse`"]
    nodes = json.loads(manifest.read_text())["nodes"]
    declared = {
        uid: node["name"]
        for uid, node in nodes.items()
        if node["resource_type"] == "model" and node["schema"] == MARTS_SCHEMA
    }
    problems = [f"mart {name} is missing" for name in sorted(set(declared.values()) - present)]
    tests = {
        uid: node
        for uid, node in nodes.items()
        if node["resource_type"] in ("test", "unit_test")
        and set(node.get("depends_on", {}).get("nodes", [])) & declared.keys()
    }
    audit = {
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_catalog = ? and table_schema = 'audit'",
            [catalog],
        ).fetchall()
    }
    if not {"dbt_node_results", "dbt_invocations"} <= audit:
        return [*problems, "it has no dbt run history (audit.dbt_node_results): build it with `dbt build`"]
    if "dbt_run_starts" in audit:
        # The newest run that started but never reached its on-run-end hook (killed, out of
        # memory) may have rebuilt some marts and not others.
        unfinished = con.execute(
            """
            select s.command, s.run_started_at, s.invocation_id
            from audit.dbt_run_starts as s
            left join audit.dbt_invocations as i on s.invocation_id = i.invocation_id
            where i.invocation_id is null
                and s.run_started_at >= (select max(run_started_at) from audit.dbt_run_starts)
            """
        ).fetchall()
        problems += [
            f"`dbt {command}` started at {started:%Y-%m-%d %H:%M:%S} UTC (invocation {invocation}) did not finish:"
            " its marts may be partly rebuilt"
            for command, started, invocation in unfinished
        ]
    last = dict(
        con.execute(
            """
            select r.unique_id, r.status
            from audit.dbt_node_results as r
            inner join audit.dbt_invocations as i on r.invocation_id = i.invocation_id
            where r.unique_id in (select unnest(?))
            qualify row_number() over (
                partition by r.unique_id order by i.run_started_at desc, r.completed_at desc nulls last
            ) = 1
            """,
            [sorted(declared.keys() | tests.keys())],
        ).fetchall()
    )
    for uid, name in sorted(declared.items(), key=lambda item: item[1]):
        if name in present and last.get(uid) != "success":
            status = last.get(uid)
            problems.append(
                f"mart {name}: its last dbt run ended '{status}'" if status else f"mart {name} was never built by dbt"
            )
    for uid in sorted(tests):
        if last.get(uid) in FAILED_STATUSES:
            problems.append(f"test {tests[uid]['name']}: its last result is '{last[uid]}'")
    return problems


def start_version(target_dir: Path) -> Path:
    """A new, empty version directory marked as the publisher's and in progress."""
    versions = target_dir / VERSIONS
    versions.mkdir(exist_ok=True)
    name = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}-{os.getpid()}"
    version = versions / name
    version.mkdir()
    (version / IN_PROGRESS_MARK).write_text("being written by orchestration.serving; removed when complete\n")
    (version / PUBLISHER_MARK).write_text("a version written by orchestration.serving (removed when old)\n")
    return version


def write_version(con: duckdb.DuckDBPyConnection, marts: list[str], version: Path) -> dict[str, int]:
    parquet_dir = version / PARQUET_DIR
    parquet_dir.mkdir()
    database = version / SERVING_FILE
    counts: dict[str, int] = {}
    build = con.execute("select current_database()").fetchone()[0]
    docs = build_comments(con, build)
    con.execute(f"attach '{database}' as serving (storage_version '{STORAGE_VERSION}')")
    # Names without a catalog inside view definitions must resolve in the serving file itself.
    con.execute("use serving")
    con.execute(f"create schema {MARTS_SCHEMA}")
    con.execute("begin")
    for name in marts:
        table_comment, columns = docs.get(name, (None, []))
        flags = [(LATEST_FLAGS[column], column) for column, _, _ in columns if column in LATEST_FLAGS]
        source = f'"{build}".{MARTS_SCHEMA}."{name}"'
        flag_columns = "".join(f", {column} = (select max({column}) from {source}) as {flag}" for flag, column in flags)
        con.execute(f'create table {MARTS_SCHEMA}."{name}" as select *{flag_columns} from {source}')
        con.execute(f'create view main."{name}" as select * from {MARTS_SCHEMA}."{name}"')
        column_comments = [
            (column, serving_comment(column, data_type, comment)) for column, data_type, comment in columns
        ]
        column_comments += [
            (flag, f"True on the rows whose {column} is the latest in this table when it was published.")
            for flag, column in flags
        ]
        for relation, kind in ((f'{MARTS_SCHEMA}."{name}"', "table"), (f'main."{name}"', "view")):
            if table_comment:
                con.execute(f"comment on {kind} {relation} is {sql_string(table_comment)}")
            for column, comment in column_comments:
                if comment:
                    con.execute(f'comment on column {relation}."{column}" is {sql_string(comment)}')
        counts[name] = con.execute(f'select count(*) from {MARTS_SCHEMA}."{name}"').fetchone()[0]
    con.execute("commit")
    for name in marts:
        con.execute(
            f"copy (select * from {MARTS_SCHEMA}.\"{name}\") to '{parquet_dir / name}.parquet' (format parquet)"
        )
    published_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute(
        "create table main._published (table_name varchar, row_count bigint, published_at timestamp, version varchar)"
    )
    con.executemany(
        "insert into main._published values (?, ?, ?, ?)",
        [(name, count, published_at, version.name) for name, count in counts.items()],
    )
    con.execute(
        "comment on table main._published is"
        " 'One row per mart in this serving copy: its rows, when it was published (UTC), the version.'"
    )
    con.execute(f'use "{build}"')
    con.execute("checkpoint serving")
    con.execute("detach serving")
    for path in [database, *parquet_dir.iterdir(), parquet_dir]:
        fsync(path)
    safe_paths.remove(version / IN_PROGRESS_MARK)
    fsync(version)
    return counts


def build_comments(
    con: duckdb.DuckDBPyConnection, build: str
) -> dict[str, tuple[str | None, list[tuple[str, str, str | None]]]]:
    """Per mart of the build: its comment and its columns in order (name, type, comment), as dbt
    persisted the descriptions there (persist_docs)."""
    tables = dict(
        con.execute(
            "select table_name, comment from duckdb_tables() where database_name = ? and schema_name = ?"
            " union all select view_name, comment from duckdb_views() where database_name = ? and schema_name = ?",
            [build, MARTS_SCHEMA, build, MARTS_SCHEMA],
        ).fetchall()
    )
    columns: dict[str, list[tuple[str, str, str | None]]] = {}
    for table, column, data_type, comment in con.execute(
        "select table_name, column_name, data_type, comment from duckdb_columns()"
        " where database_name = ? and schema_name = ? order by table_name, column_index",
        [build, MARTS_SCHEMA],
    ).fetchall():
        columns.setdefault(table, []).append((column, data_type, comment))
    return {name: (comment, columns.get(name, [])) for name, comment in tables.items()}


def serving_comment(column: str, data_type: str, comment: str | None) -> str | None:
    """The column's dbt description; a timestamp (by type, or named *_at) says it is UTC."""
    if (data_type.upper().startswith("TIMESTAMP") or column.endswith("_at")) and "UTC" not in (comment or ""):
        return f"{comment.rstrip()} (UTC)" if comment else "UTC."
    return comment


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def switch_to(target_dir: Path, version: Path) -> None:
    """Make sure the stable reader paths go through `current` (they dangle until the first switch;
    the files of the layout before versions are replaced once), then point `current` at the
    complete version: the one step that changes what readers see."""
    for name in (SERVING_FILE, PARQUET_DIR):
        link, points_to = target_dir / name, Path(CURRENT) / name
        if link.is_symlink() and Path(os.readlink(link)) == points_to:
            continue
        if link.is_dir() and not link.is_symlink():  # the old layout's parquet/ folder
            aside = target_dir / f".{name}.{os.getpid()}.old"
            os.rename(link, aside)
            replace_with_symlink(link, points_to)
            safe_paths.remove(aside)
        else:
            replace_with_symlink(link, points_to)
    replace_with_symlink(target_dir / CURRENT, Path(VERSIONS) / version.name)
    fsync(target_dir)


def replace_with_symlink(link: Path, points_to: Path) -> None:
    temporary = link.parent / f".{link.name}.{os.getpid()}.tmp"
    safe_paths.remove(temporary)
    os.symlink(points_to, temporary)
    os.replace(temporary, link)


def current_version(target_dir: Path) -> str | None:
    link = target_dir / CURRENT
    return Path(os.readlink(link)).name if link.is_symlink() else None


def remove_leftovers(target_dir: Path) -> None:
    """What killed publishes left (called under the lock, so no publish is writing): version
    directories still in progress (or empty, killed before marking), the publisher's temporary names."""
    current = current_version(target_dir)
    versions = target_dir / VERSIONS
    for version in sorted(versions.iterdir()) if versions.is_dir() else []:
        if version.name == current or version.is_symlink() or not version.is_dir():
            continue
        if not any(version.iterdir()):
            safe_paths.remove(version)
        elif (version / IN_PROGRESS_MARK).exists() and (version / PUBLISHER_MARK).exists():
            log.info("removing %s, left incomplete by a publish that did not finish", version)
            safe_paths.remove(version)
    for folder in (target_dir, target_dir / PARQUET_DIR):
        if not folder.is_dir() or folder.is_symlink():
            continue
        for path in folder.iterdir():
            if LEFTOVER_NAME.match(path.name) or (folder.name == PARQUET_DIR and path.name.endswith(".parquet.tmp")):
                safe_paths.remove(path)


def remove_old_versions(target_dir: Path) -> None:
    """Keep the newest KEEP_VERSIONS complete versions (and `current`); remove the publisher's older ones."""
    current = current_version(target_dir)
    complete = sorted(
        (
            version
            for version in (target_dir / VERSIONS).iterdir()
            if version.is_dir()
            and not version.is_symlink()
            and (version / PUBLISHER_MARK).exists()
            and not (version / IN_PROGRESS_MARK).exists()
        ),
        key=lambda version: version.name,
    )
    for version in complete[:-KEEP_VERSIONS]:
        if version.name != current:
            safe_paths.remove(version)


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.serving", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--force", action="store_true", help="publish even when the last build failed or is partial (warns)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(levelname)s: %(message)s", level=logging.INFO)
    try:
        counts = publish(force=args.force)
    except PublishError as error:
        print(f"publish refused: {error}", file=sys.stderr)
        return 1
    except safe_paths.NotOurs as refused:
        print(f"{refused}\nPoint USER_ASSETS_SERVING_DIR at a new or empty folder.", file=sys.stderr)
        return 1
    target = serving_dir()
    print(f"published {len(counts)} marts to {target / SERVING_FILE} and {target / PARQUET_DIR} ({target / CURRENT})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
