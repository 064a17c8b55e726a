"""The Dagster code location: it loads, covers every dbt model, its schedule and sensor decide as
documented, everything materializes in-process on a tiny sample with every check passing, the
serving copy can be read while it is republished, and `make ui` serves the asset graph."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration import serving
from orchestration.definitions import daily_schedule, defs, new_raw_partition
from orchestration.settings import PROJECT_DIR
from orchestration.tests.tiny_build import TinyBuild


def dbt_models() -> set[str]:
    manifest = json.loads((PROJECT_DIR / "target" / "manifest.json").read_text())
    return {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == "user_asset_warehouse"
    }


def exposures() -> set[str]:
    manifest = json.loads((PROJECT_DIR / "target" / "manifest.json").read_text())
    return {exposure["name"] for exposure in manifest["exposures"].values()}


def test_definitions_load_and_cover_every_dbt_model() -> None:
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    names = {key.path[-1] for key in graph.get_all_asset_keys()}
    assert dbt_models() and dbt_models() <= names
    assert {"serving_copy", "events", "orders", "members"} <= names
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert {"raw", "staging_tracking", "intermediate_identity", "marts_persons", "serving"} <= groups
    owners = {owner for key in graph.get_all_asset_keys() for owner in graph.get(key).owners}
    assert {"team:identity", "team:growth-analytics", "team:data-platform"} <= owners
    assert len(list(graph.asset_check_keys)) > 100  # dbt tests are asset checks
    # Every dbt exposure is an asset downstream of the marts it reads.
    rfm = graph.get(dg.AssetKey(["exposures", "rfm_dashboard"]))
    assert dg.AssetKey(["marts", "rpt_rfm_class_summary"]) in rfm.parent_keys
    assert {key.path[-1] for key in graph.get_all_asset_keys() if key.path[0] == "exposures"} == exposures()


def test_the_daily_schedule_runs_at_six_in_shanghai() -> None:
    assert daily_schedule.execution_timezone == "Asia/Shanghai"
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 3, 31, 22, 0, tzinfo=dt.UTC)  # 06:00 in Shanghai
    )
    requests = list(daily_schedule.evaluate_tick(context).run_requests or [])
    assert len(requests) == 1 and daily_schedule.job_name == "daily_build"


def test_the_sensor_fires_once_per_new_partition(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER_ASSETS_RAW_DIR", str(tmp_path))
    empty = new_raw_partition(dg.build_sensor_context())
    assert isinstance(empty, dg.SkipReason)
    (tmp_path / "events" / "dt=2026-03-30").mkdir(parents=True)
    first = new_raw_partition(dg.build_sensor_context())
    assert [r.run_key for r in first.run_requests] == ["dt=2026-03-30"] and first.cursor == "dt=2026-03-30"
    assert isinstance(new_raw_partition(dg.build_sensor_context(cursor="dt=2026-03-30")), dg.SkipReason)
    (tmp_path / "events" / "dt=2026-03-31").mkdir()
    second = new_raw_partition(dg.build_sensor_context(cursor="dt=2026-03-30"))
    assert [r.run_key for r in second.run_requests] == ["dt=2026-03-31"]


@pytest.mark.slow  # a whole build of its own: make test-slow
def test_everything_materializes_in_process_with_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Raw landing (the simulator's tiny tier), every dbt asset with its checks, the serving copy."""
    monkeypatch.setenv("USER_ASSETS_RAW_DIR", str(tmp_path / "raw"))
    monkeypatch.setenv("USER_ASSETS_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("USER_ASSETS_SERVING_DIR", str(tmp_path / "serving"))
    monkeypatch.setenv("USER_ASSETS_RAW_MODE", "demo")  # production, the default, never generates data
    monkeypatch.setenv("USER_ASSETS_DEMO_TIER", "tiny")
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    checks = result.get_asset_check_evaluations()
    # Every dbt test passes; a Great Expectations warning (severity WARN) is recorded, not a failure.
    failed = [c.check_name for c in checks if not c.passed and c.severity != dg.AssetCheckSeverity.WARN]
    assert len(checks) > 100 and failed == []
    assert {c.check_name for c in checks} >= {"gx_identifiers_one_person_each", "gx_daily_event_volume"}
    materialized = {event.asset_key.path[-1] for event in result.get_asset_materialization_events()}
    assert dbt_models() <= materialized and {"serving_copy", "events"} <= materialized
    with duckdb.connect(str(tmp_path / "serving" / serving.SERVING_FILE), read_only=True) as con:
        published = dict(con.execute("select table_name, row_count from _published").fetchall())
        assert published["dim_persons"] == con.execute("select count(*) from dim_persons").fetchone()[0] > 0
    assert (tmp_path / "serving" / "parquet" / "dim_persons.parquet").exists()


READER = r"""
import sys, time
import sqlalchemy as sa
url, seconds = sys.argv[1], float(sys.argv[2])
engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
reads, end = 0, time.time() + seconds
while time.time() < end:
    with engine.connect() as con:  # short-lived, read-only: open, query, close
        published = dict(con.execute(sa.text("select table_name, row_count from _published")).fetchall())
        for table in ("dim_persons", "fct_person_tags", "fct_rfm_snapshots"):
            count = con.execute(sa.text(f"select count(*) from {table}")).scalar()
            assert count == published[table], (table, count, published[table])
    reads += 1
print(reads)
"""


def test_a_reader_never_sees_a_half_published_copy(tiny: TinyBuild, tmp_path: Path) -> None:
    target = tmp_path / "serving"
    serving.publish(tiny.database, target)
    url = f"duckdb:///{target / serving.SERVING_FILE}?access_mode=read_only"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, url, "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    publishes = 0
    while reader.poll() is None:
        serving.publish(tiny.database, target)
        publishes += 1
    out, err = reader.communicate()
    assert reader.returncode == 0, err[-3000:]
    assert int(out.strip()) > 5 and publishes >= 3


def test_duckdb_1_4_reads_the_serving_file(tiny: TinyBuild, tmp_path: Path) -> None:
    """BI tools embed older DuckDBs: the published file opens in DuckDB 1.4 (installed aside)."""
    target = tmp_path / "serving"
    counts = serving.publish(tiny.database, target)
    old = tmp_path / "duckdb14"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(old), "duckdb==1.4.1"],
        check=True,
        capture_output=True,
    )
    script = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
        "print(duckdb.__version__, con.execute('select count(*) from dim_persons').fetchone()[0])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(target / serving.SERVING_FILE)],
        env={**os.environ, "PYTHONPATH": str(old)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["1.4.1", str(counts["dim_persons"])]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # a whole build of its own: make test-slow
def test_make_ui_serves_the_asset_graph(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        ["make", "-s", "ui", f"UI_PORT={port}"],
        cwd=PROJECT_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so the whole tree can be stopped
    )
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
                break
            except OSError:
                assert time.time() < deadline, "dagster dev did not answer within 120 s"
                assert process.poll() is None, "make ui exited"
                time.sleep(1)
        query = json.dumps({"query": "{ assetNodes { assetKey { path } } }"}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql", data=query, headers={"Content-Type": "application/json"}
        )
        # The web server answers before the code location has loaded: ask until the assets appear.
        while not (nodes := json.loads(urllib.request.urlopen(request, timeout=30).read())["data"]["assetNodes"]):
            assert time.time() < deadline, "the code location did not load within 120 s"
            time.sleep(1)
        assert len(nodes) == len(list(defs.resolve_asset_graph().get_all_asset_keys()))
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # dagster dev shuts its services down on TERM
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):  # and nothing of the group outlives the test
            time.sleep(2)
            os.killpg(process.pid, signal.SIGKILL)
