"""Reliability: a build fails clearly (not with a stack trace) when the raw folder is missing or
empty, naming the folder (a line or file that cannot be read is a reject); a build killed midway and run again
gives the same marts as an undisturbed build. (No raw phone or e-mail in any string column:
test_tiny_build.test_no_raw_pii_outside_the_assets_declared_pii.)"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import PROJECT_DIR
from orchestration.tests.dbt_helpers import DBT, dbt_env, run_dbt
from orchestration.tests.test_tiny_build import comparable_marts, differing_tables
from orchestration.tests.tiny_build import TinyBuild


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database and dbt target for the bad-raw-folder tests, so dbt parses the project once."""
    return tmp_path_factory.mktemp("bad_raw")


def test_a_missing_raw_folder_is_named(work: Path, tmp_path: Path) -> None:
    result = run_dbt(["run", "-s", "base_tracking__event_lines"], tmp_path / "nowhere", work)
    assert result.returncode != 0
    assert f"No raw files match '{tmp_path / 'nowhere'}/events/" in result.stdout
    assert "USER_ASSETS_RAW_DIR" in result.stdout and "Traceback" not in result.stdout


def test_an_empty_raw_folder_is_named(work: Path, tmp_path: Path) -> None:
    (tmp_path / "raw" / "events").mkdir(parents=True)
    result = run_dbt(["run", "-s", "base_tracking__event_lines"], tmp_path / "raw", work)
    assert result.returncode != 0
    assert "No raw files match" in result.stdout and "Traceback" not in result.stdout


def test_an_unreadable_line_is_a_reject_naming_the_file(tiny: TinyBuild, work: Path, tmp_path: Path) -> None:
    """A line that is not UTF-8 no longer stops the build (issue 29, item 13; more cases in
    test_hardening_bad_lines): it is rejected as bad_encoding, and its bytes are not echoed."""
    raw = tmp_path / "raw"
    shutil.copytree(tiny.raw / "events", raw / "events")
    bad = sorted((raw / "events").glob("dt=*"))[3] / "not_utf8.jsonl"
    bad.write_bytes(b'{"event_id": "e1", "event": "login\xff\xfe"}\n')
    result = run_dbt(["run", "-s", "base_tracking__event_lines"], raw, work)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "login" not in result.stdout and "Traceback" not in result.stdout
    rel = str(bad.relative_to(raw))
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select line_number, reject_reason from staging.base_tracking__event_lines where file_name = ?", [rel]
        ).fetchall()
    assert rows == [(1, "bad_encoding")]


@pytest.mark.slow  # builds three times: `make test-slow`
def test_a_build_killed_midway_then_rerun_gives_the_same_marts(tiny: TinyBuild, tmp_path: Path) -> None:
    """Also the rebuild property: a second, independent build of the same raw data (here after a
    kill) gives marts identical to the first, by checksum."""
    env = dbt_env(tiny.raw, tmp_path)
    build = subprocess.Popen(
        [str(DBT), "build"], cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    # Kill it once it is building models (after the staging layer has started).
    deadline = time.time() + 300
    for line in build.stdout:
        if "START sql table model intermediate." in line or time.time() > deadline:
            break
    os.kill(build.pid, signal.SIGKILL)
    build.wait()
    assert build.returncode == -signal.SIGKILL
    rerun = run_dbt(["build"], tiny.raw, tmp_path)
    assert rerun.returncode == 0, rerun.stdout[-4000:]
    # Every mart (bar the history kept by design) as in the undisturbed build, the incremental
    # event staging included (the rerun picks up the partitions the killed run left).
    assert differing_tables(tmp_path / "warehouse.duckdb", tiny.database, comparable_marts(tiny.database)) == []
