"""Hardening of the serving copy (issue 29, items 8, 9 and the publish part of 15).

A publish killed at any moment leaves readers on one complete version and its leftovers are
cleaned by the next publish; a second publisher is locked out with a clear message; a failed or
partial build is refused unless forced; a build database held by another process (dbt) is
reported within seconds, naming the file and the holder, without a traceback.

Two warehouses with different row counts (the tiny build, and a copy with rows removed from every
mart table) are published alternately, so a reader seeing marts of both would notice.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import PROJECT_DIR
from orchestration.tests.dbt_helpers import DBT, dbt_env, run_dbt
from orchestration.tests.tiny_build import TinyBuild

# The stable reader paths docs/orchestration.md documents for BI.
SERVING_FILE = "warehouse_serving.duckdb"


def copy_build(tiny: TinyBuild, work: Path) -> Path:
    """A copy of the tiny build (file stem kept: dbt names the database after it) with its target."""
    work.mkdir(parents=True)
    shutil.copy(tiny.database, work / "warehouse.duckdb")
    shutil.copytree(tiny.database.parent / "target", work / "target", ignore=shutil.ignore_patterns("run", "compiled"))
    return work / "warehouse.duckdb"


def mart_counts(database: Path) -> dict[str, int]:
    with duckdb.connect(str(database), read_only=True) as con:
        names = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        ]
        return {name: con.execute(f'select count(*) from marts."{name}"').fetchone()[0] for name in names}


@pytest.fixture(scope="module")
def builds(tiny: TinyBuild, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """ "full": a copy of the tiny build; "thinned": another copy with every other row of each mart
    table deleted (the audit still says the build succeeded)."""
    root = tmp_path_factory.mktemp("serving_builds")
    full = copy_build(tiny, root / "full")
    thinned = copy_build(tiny, root / "thinned")
    with duckdb.connect(str(thinned)) as con:
        tables = con.execute(
            "select table_name from information_schema.tables"
            " where table_schema = 'marts' and table_type = 'BASE TABLE'"
        ).fetchall()
        for (name,) in tables:
            con.execute(f'delete from marts."{name}" where rowid % 2 = 0')
    return {"full": full, "thinned": thinned}


def publish_command(database: Path, target: Path, *extra: str) -> tuple[list[str], dict[str, str]]:
    env = {
        **os.environ,
        "USER_ASSETS_DUCKDB_PATH": str(database),
        "USER_ASSETS_SERVING_DIR": str(target),
        "DBT_TARGET_PATH": str(database.parent / "target"),
    }
    return [sys.executable, "-m", "orchestration.serving", *extra], env


def run_publish(database: Path, target: Path, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    command, env = publish_command(database, target, *extra)
    return subprocess.run(
        command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def start_publish(database: Path, target: Path) -> subprocess.Popen[str]:
    command, env = publish_command(database, target)
    return subprocess.Popen(
        command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def what_readers_see(target: Path) -> dict[str, tuple[int, int]]:
    """Per mart: (rows in the serving DuckDB file, rows in its Parquet file), read through the
    stable paths; every table `_published` lists must be in both, with its listed row count."""
    parquet_dir = target / "parquet"
    with duckdb.connect(str(target / SERVING_FILE), read_only=True) as con:
        published = dict(con.execute("select table_name, row_count from _published").fetchall())
        seen = {}
        for name, listed in published.items():
            in_file = con.execute(f'select count(*) from "{name}"').fetchone()[0]
            in_parquet = con.execute(f"select count(*) from read_parquet('{parquet_dir / name}.parquet')").fetchone()[0]
            assert in_file == listed, (name, in_file, listed)
            seen[name] = (in_file, in_parquet)
    on_disk = {path.stem for path in parquet_dir.glob("*.parquet")}
    assert on_disk == set(published), f"Parquet files {sorted(on_disk ^ set(published))} do not match _published"
    return seen


def which_version(target: Path, expected: dict[str, dict[str, int]]) -> str:
    """The name of the build a reader sees, entirely; fails when it sees a mix."""
    seen = what_readers_see(target)
    for name, counts in expected.items():
        if seen == {mart: (rows, rows) for mart, rows in counts.items()}:
            return name
    mixed = {mart: (rows, {n: c.get(mart) for n, c in expected.items()}) for mart, rows in seen.items()}
    raise AssertionError(f"readers see neither build entirely: {mixed}")


def leftovers(target: Path) -> list[str]:
    return sorted(
        str(path.relative_to(target))
        for path in target.rglob("*")
        if path.name.endswith((".tmp", ".wal")) or ".tmp" in path.name
    )


def test_a_publish_killed_at_any_moment_leaves_one_complete_version(builds: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "serving"
    expected = {name: mart_counts(database) for name, database in builds.items()}
    assert expected["full"] != expected["thinned"] and "dim_persons" in expected["full"]
    started = time.monotonic()
    done = run_publish(builds["full"], target)
    duration = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-3000:]
    visible = which_version(target, expected)
    assert visible == "full"
    kills = 0
    for step in range(1, 10):
        other = "thinned" if visible == "full" else "full"
        publisher = start_publish(builds[other], target)
        time.sleep(duration * step / 10)
        if publisher.poll() is None:
            publisher.send_signal(signal.SIGKILL)
            kills += 1
        publisher.communicate()
        visible = which_version(target, expected)
    assert kills >= 4, f"only {kills} publishes were killed before they ended"
    done = run_publish(builds["thinned" if visible == "full" else "full"], target)
    assert done.returncode == 0, done.stderr[-3000:]
    assert which_version(target, expected) != visible
    assert leftovers(target) == [], "a publish leaves behind what killed publishes wrote"
    versions = [path for path in (target / "versions").iterdir()]
    assert 1 <= len(versions) <= 3, f"old versions are not removed: {sorted(p.name for p in versions)}"


DIE_AT = r"""
import importlib, os, signal, sys
from orchestration import serving
module_name, function, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
module = importlib.import_module(module_name)
original, calls = getattr(module, function), 0
def dying(*args, **kwargs):
    global calls
    calls += 1
    if calls == nth:
        os.kill(os.getpid(), signal.SIGKILL)
    return original(*args, **kwargs)
setattr(module, function, dying)
sys.argv = sys.argv[:1]
sys.exit(serving.main())
"""


def test_a_publish_killed_at_each_file_operation_leaves_one_complete_version(
    builds: dict[str, Path], tmp_path: Path
) -> None:
    """Deterministic kill points: the publisher dies at the n-th call of each operation that
    changes what readers see (renames, symlinks, syncs, removals)."""
    target = tmp_path / "serving"
    expected = {name: mart_counts(database) for name, database in builds.items()}
    visible = None
    died = 0
    # The first publish (which creates the stable paths) killed, then one that completes; then
    # publishes killed before, during and after the switch, while removing what killed ones left,
    # and, with more complete versions than are kept, while removing old versions.
    points = [("os", "symlink", 1), ("os", "symlink", 2), ("os", "replace", 2), ("os", "replace", 99)]
    points += [("os", "replace", 1), ("os", "symlink", 1), ("os", "fsync", 1), ("os", "fsync", 20)]
    points += [("shutil", "rmtree", 1), ("os", "replace", 99), ("os", "replace", 99), ("shutil", "rmtree", 1)]
    points += [("os", "replace", 1), ("os", "fsync", 30)]
    for module, function, nth in points:
        other = "thinned" if visible == "full" else "full"
        _, env = publish_command(builds[other], target)
        done = subprocess.run(
            [sys.executable, "-c", DIE_AT, module, function, str(nth)],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode in (0, -signal.SIGKILL), done.stderr[-3000:]
        died += done.returncode == -signal.SIGKILL
        if (target / SERVING_FILE).exists():
            visible = which_version(target, expected)
        else:
            assert visible is None, "readers lost the published copy"
    assert died >= 7, f"only {died} publishes died at a kill point"
    done = run_publish(builds["full"], target)
    assert done.returncode == 0, done.stderr[-3000:]
    assert which_version(target, expected) == "full"
    assert leftovers(target) == []


def test_a_publish_cleans_what_killed_publishes_of_the_old_layout_left(builds: dict[str, Path], tmp_path: Path) -> None:
    """serving/ as the publisher before versions left it after kill -9: a plain DuckDB file, a
    parquet/ folder with a stale mart, and temporary files named by PID (with a WAL)."""
    expected = {name: mart_counts(database) for name, database in builds.items()}
    scratch = tmp_path / "scratch"
    done = run_publish(builds["full"], scratch)
    assert done.returncode == 0, done.stderr[-3000:]
    target = tmp_path / "serving"
    shutil.copytree(scratch / "parquet", target / "parquet")  # copies the files the links point to
    shutil.copy(scratch / SERVING_FILE, target / SERVING_FILE)
    (target / "parquet" / "dim_retired_mart.parquet").write_bytes(
        (target / "parquet" / "dim_persons.parquet").read_bytes()
    )
    (target / "parquet" / ".dim_persons.parquet.tmp").write_bytes(b"half a parquet file")
    (target / f".{SERVING_FILE}.4242.tmp").write_bytes(b"half a database")
    (target / f".{SERVING_FILE}.4242.tmp.wal").write_bytes(b"its log")
    (target / "notes.txt").write_text("not the publisher's: stays")

    done = run_publish(builds["thinned"], target)
    assert done.returncode == 0, done.stderr[-3000:]
    assert which_version(target, expected) == "thinned"  # also: no stale Parquet beside the marts
    assert leftovers(target) == []
    assert (target / "notes.txt").read_text() == "not the publisher's: stays"


def test_a_second_publisher_is_locked_out_with_a_clear_message(builds: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "serving"
    expected = {name: mart_counts(database) for name, database in builds.items()}
    first = start_publish(builds["full"], target)
    deadline = time.monotonic() + 60
    # Wait until the first publisher holds the lock (its PID is in the lock file) and has started
    # a version, then freeze it mid-publish.
    lock = target / ".publish.lock"

    def holds_the_lock() -> bool:
        return lock.is_file() and lock.read_text().strip() == str(first.pid) and (target / "versions").is_dir()

    while not holds_the_lock():
        assert first.poll() is None and time.monotonic() < deadline, "the first publish ended too early"
        time.sleep(0.01)
    first.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        second = run_publish(builds["thinned"], target, timeout=60)
        assert time.monotonic() - started < 15
    finally:
        first.send_signal(signal.SIGCONT)
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err[-3000:]
    assert second.returncode != 0, "a second publish ran while the first was publishing"
    assert "Traceback" not in second.stderr, second.stderr
    assert str(target) in second.stderr and f"PID {first.pid}" in second.stderr, second.stderr
    assert which_version(target, expected) == "full"


def test_a_failed_or_partial_build_is_refused_unless_forced(tiny: TinyBuild, tmp_path: Path) -> None:
    target = tmp_path / "serving"
    good = copy_build(tiny, tmp_path / "good")
    done = run_publish(good, target)
    assert done.returncode == 0, done.stderr[-3000:]
    before = what_readers_see(target)
    assert "dim_persons" in before

    # Partial: a mart the project declares is missing from the build.
    partial = copy_build(tiny, tmp_path / "partial")
    with duckdb.connect(str(partial)) as con:
        con.execute("drop table marts.dim_persons")
    refused = run_publish(partial, target)
    assert refused.returncode != 0, "a build without dim_persons was published"
    assert "dim_persons" in refused.stderr and str(partial) in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr and "--force" in refused.stderr
    assert what_readers_see(target) == before

    # Failed: the last dbt run of dim_persons ended in an error (its old table is still there).
    failed = copy_build(tiny, tmp_path / "failed")
    with duckdb.connect(str(failed)) as con:
        con.execute("drop table intermediate.int_person_order_facts")
    result = run_dbt(["run", "-s", "dim_persons"], tiny.raw, failed.parent)
    assert result.returncode != 0, result.stdout[-3000:]
    refused = run_publish(failed, target)
    assert refused.returncode != 0, "a build whose dim_persons failed was published"
    assert "dim_persons" in refused.stderr and "Traceback" not in refused.stderr, refused.stderr
    assert what_readers_see(target) == before

    # Forced: published with a loud warning, and no stale Parquet of the previous version.
    forced = run_publish(partial, target, "--force")
    assert forced.returncode == 0, forced.stderr[-3000:]
    assert "WARNING" in forced.stderr and "dim_persons" in forced.stderr
    after = what_readers_see(target)
    assert "dim_persons" not in after and set(after) == set(before) - {"dim_persons"}


def test_a_build_killed_midway_is_refused(tiny: TinyBuild, tmp_path: Path) -> None:
    """kill -9 of `dbt run` once it has started its models: its on-run-end hook never records the
    run, so the audit alone cannot tell that some marts were rebuilt and others not."""
    killed = copy_build(tiny, tmp_path / "killed")

    run = subprocess.Popen(
        [str(DBT), "run", "-s", "int_as_of_date+"],
        cwd=PROJECT_DIR,
        env=dbt_env(tiny.raw, killed.parent),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180
        for line in run.stdout:
            if " START " in line and "marts." in line:
                break
            assert time.monotonic() < deadline, "dbt never started a mart"
    finally:
        run.kill()
        run.wait()
    refused = run_publish(killed, tmp_path / "serving")
    assert refused.returncode != 0, "a build killed midway was published"
    assert "did not finish" in refused.stderr and "Traceback" not in refused.stderr, refused.stderr


def test_make_publish_force_passes_the_flag() -> None:
    dry = subprocess.run(
        ["make", "-n", "publish", "FORCE=1"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    )
    assert "orchestration.serving --force" in dry.stdout
    dry = subprocess.run(["make", "-n", "publish"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    assert "--force" not in dry.stdout


HOLDER = r"""
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])  # read-write, as dbt holds it during a build
print("holding", flush=True)
time.sleep(120)
"""


def test_publishing_during_a_build_fails_fast_naming_the_file_and_holder(tiny: TinyBuild, tmp_path: Path) -> None:
    database = copy_build(tiny, tmp_path / "busy")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(database)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        refused = run_publish(database, tmp_path / "serving", timeout=60)
        elapsed = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert refused.returncode != 0
    assert elapsed < 15, f"took {elapsed:.0f}s"
    assert "Traceback" not in refused.stderr, refused.stderr[-3000:]
    assert str(database) in refused.stderr and f"PID {holder.pid}" in refused.stderr, refused.stderr
