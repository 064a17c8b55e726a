"""What a BI user and a Dagster user see (issue 28, items 3 and 5).

The serving copy keeps the marts in schema `marts` (with `main.<mart>` views for older queries),
carries the dbt descriptions as comments (persisted on the build by dbt, copied by the publisher),
says UTC on every timestamp, and flags the latest snapshot or period where a BI filter needs it.
After the build of `make demo`, the Dagster instance of `make ui` holds a materialization for every
dbt asset and an evaluation for every dbt test, each dbt test being an asset check."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration import serving
from orchestration.definitions import defs, warehouse_dbt_assets
from orchestration.settings import PROJECT_DIR
from orchestration.tests.tiny_build import TinyBuild

# A BI filter "the latest snapshot / period" needs a flag when the mart has this column.
PERIOD_COLUMNS = {"snapshot_date": "is_latest_snapshot", "period_end": "is_latest_period"}


def squash(text: str | None) -> str:
    return " ".join((text or "").split())


def manifest(target: Path) -> dict:
    return json.loads((target / "manifest.json").read_text())


def declared_marts(nodes: dict) -> dict[str, dict]:
    return {
        node["name"]: node
        for node in nodes.values()
        if node["resource_type"] == "model" and node["schema"] == serving.MARTS_SCHEMA
    }


@pytest.fixture(scope="module")
def published(tiny: TinyBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("bi") / "serving"
    serving.publish(tiny.database, target, manifest=tiny.database.parent / "target" / "manifest.json")
    return target


def test_the_marts_keep_their_schema_and_old_queries_still_work(tiny: TinyBuild, published: Path) -> None:
    marts = declared_marts(manifest(tiny.database.parent / "target")["nodes"])
    with duckdb.connect(str(published / serving.SERVING_FILE), read_only=True) as con:
        in_marts = {
            name
            for (name,) in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
        }
        assert in_marts == set(marts)
        with duckdb.connect(str(tiny.database), read_only=True) as build:
            for name in marts:
                rows = build.execute(f'select count(*) from marts."{name}"').fetchone()[0]
                assert con.execute(f'select count(*) from marts."{name}"').fetchone()[0] == rows, name
                # Queries written against the earlier copy (`main.<mart>`, or no schema) still answer.
                assert con.execute(f'select count(*) from "{name}"').fetchone()[0] == rows, name
        # The publisher's own table is not a mart.
        assert con.execute("select count(*) from _published").fetchone()[0] == len(marts)


def test_the_build_persists_the_dbt_descriptions(tiny: TinyBuild) -> None:
    marts = declared_marts(manifest(tiny.database.parent / "target")["nodes"])
    with duckdb.connect(str(tiny.database), read_only=True) as con:
        tables = dict(
            con.execute(
                "select table_name, comment from duckdb_tables() where schema_name = 'marts'"
                " union all select view_name, comment from duckdb_views() where schema_name = 'marts'"
            ).fetchall()
        )
        columns = {
            (table, column): comment
            for table, column, comment in con.execute(
                "select table_name, column_name, comment from duckdb_columns() where schema_name = 'marts'"
            ).fetchall()
        }
    for name, node in marts.items():
        assert squash(tables[name]) == squash(node["description"]), name
        for column, spec in node["columns"].items():
            assert squash(columns[(name, column)]) == squash(spec["description"]), (name, column)


def test_the_serving_copy_carries_the_descriptions_and_says_utc(tiny: TinyBuild, published: Path) -> None:
    marts = declared_marts(manifest(tiny.database.parent / "target")["nodes"])
    with duckdb.connect(str(published / serving.SERVING_FILE), read_only=True) as con:
        tables = dict(
            con.execute("select table_name, comment from duckdb_tables() where schema_name = 'marts'").fetchall()
        )
        columns = {
            (table, column): (data_type, comment)
            for table, column, data_type, comment in con.execute(
                "select table_name, column_name, data_type, comment from duckdb_columns() where schema_name = 'marts'"
            ).fetchall()
        }
    timestamps = 0
    for name, node in marts.items():
        assert squash(node["description"]) and squash(tables[name]).startswith(squash(node["description"])), name
        for column, spec in node["columns"].items():
            data_type, comment = columns[(name, column)]
            assert squash(comment).startswith(squash(spec["description"])), (name, column)
    for (name, column), (data_type, comment) in columns.items():
        # Every timestamp, and every column named *_at, is stated to be UTC.
        if data_type.startswith("TIMESTAMP") or column.endswith("_at"):
            timestamps += 1
            assert "UTC" in (comment or ""), (name, column, comment)
    assert timestamps > 5


def test_latest_snapshot_and_period_flags(tiny: TinyBuild, published: Path) -> None:
    flagged = set()
    with (
        duckdb.connect(str(published / serving.SERVING_FILE), read_only=True) as con,
        duckdb.connect(str(tiny.database), read_only=True) as build,
    ):
        for name, column in build.execute(
            "select table_name, column_name from duckdb_columns() where schema_name = 'marts'"
            " and column_name in (select unnest(?))",
            [sorted(PERIOD_COLUMNS)],
        ).fetchall():
            flag = PERIOD_COLUMNS[column]
            latest = build.execute(
                f'select count(*) from marts."{name}" where {column} = (select max({column}) from marts."{name}")'
            ).fetchone()[0]
            counts = dict(con.execute(f'select {flag}, count(*) from marts."{name}" group by 1').fetchall())
            assert counts.get(True) == latest > 0 and None not in counts, (name, counts)
            assert con.execute(f'select bool_and({flag}) from marts."{name}" where {flag}').fetchone()[0]
            comment = con.execute(
                "select comment from duckdb_columns() where schema_name = 'marts' and table_name = ?"
                " and column_name = ?",
                [name, flag],
            ).fetchone()[0]
            assert comment and column in comment, (name, flag)
            # The Parquet file has the same columns as the table.
            parquet = published / serving.PARQUET_DIR / f"{name}.parquet"
            assert con.execute(f"select count(*) from '{parquet}' where {flag}").fetchone()[0] == latest
            flagged.add(name)
    assert {"fct_rfm_snapshots", "rpt_rfm_class_summary", "fct_lifecycle_stages", "fct_state_transitions"} <= flagged


def test_every_dbt_test_is_an_asset_check() -> None:
    """Singular tests over several models name the asset they check (meta.dagster.ref)."""
    nodes = json.loads((PROJECT_DIR / "target" / "manifest.json").read_text())["nodes"]
    tests = {node["name"] for node in nodes.values() if node["resource_type"] == "test"}
    checks = {key.name for key in warehouse_dbt_assets.check_keys}
    assert tests and tests - checks == set()


@pytest.mark.slow  # a whole build of its own: make test-slow
def test_after_the_demo_build_dagster_shows_every_asset_and_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make data build` (the build of `make demo`) on the tiny tier, into a throwaway DAGSTER_HOME:
    every dbt model, seed and snapshot has a materialization there and every dbt test an evaluation."""
    home = tmp_path / "dagster_home"
    env = {
        **os.environ,
        "TIER": "tiny",
        "USER_ASSETS_RAW_DIR": str(tmp_path / "raw"),
        "USER_ASSETS_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "USER_ASSETS_SERVING_DIR": str(tmp_path / "serving"),
        "DAGSTER_HOME": str(home),
    }
    done = subprocess.run(
        ["make", "--no-print-directory", "data", "build"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    nodes = manifest(tmp_path / "target")["nodes"]
    graph = defs.resolve_asset_graph()
    dbt_keys = {
        key
        for key in warehouse_dbt_assets.keys
        if (warehouse_dbt_assets.specs_by_key[key].metadata or {}).get("dagster_dbt/unique_id", "").split(".")[0]
        in ("model", "seed", "snapshot")
    }
    models = {node["name"] for node in nodes.values() if node["resource_type"] == "model"}
    assert models <= {key.path[-1] for key in dbt_keys}
    check_keys = set(warehouse_dbt_assets.check_keys)
    assert len(check_keys) > 100 and check_keys <= set(graph.asset_check_keys)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        missing = sorted(key.to_user_string() for key in dbt_keys if not instance.get_latest_materialization_event(key))
        evaluations = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(check_keys))
    assert missing == []
    not_evaluated = sorted(str(key) for key in check_keys if key not in evaluations or not evaluations[key].event)
    assert not_evaluated == []
    failed = [
        str(key)
        for key, record in evaluations.items()
        if not record.event.dagster_event.event_specific_data.passed
        and record.event.dagster_event.event_specific_data.severity == dg.AssetCheckSeverity.ERROR
    ]
    assert failed == []
