"""The data-asset inventory (SPEC section 4.7) on the tiny build: every asset of the manifest has a
row and three scores, the run history holds every node dbt ran, lineage is the manifest's, and the
business-attribute check names an asset that lacks one."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import deque
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import PROJECT_DIR
from orchestration.tests.dbt_helpers import DBT, compiled_sql, dbt_env
from orchestration.tests.test_dirty_raw import declared_pii_tables
from orchestration.tests.tiny_build import TinyBuild

PROJECT = "user_asset_warehouse"


@pytest.fixture(scope="module")
def manifest(tiny: TinyBuild) -> dict:
    return json.loads((tiny.database.parent / "target" / "manifest.json").read_text())


@pytest.fixture(scope="module")
def con(tiny: TinyBuild) -> duckdb.DuckDBPyConnection:
    with duckdb.connect(str(tiny.database), read_only=True) as connection:
        yield connection


def manifest_assets(manifest: dict) -> dict[str, dict]:
    """Sources, seeds, models, snapshots and exposures of this project, by unique id."""
    nodes = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in {"seed", "model", "snapshot"} and node["package_name"] == PROJECT
    }
    return {**manifest["sources"], **nodes, **manifest["exposures"]}


def test_every_asset_has_a_row_and_three_scores(manifest: dict, con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "select unique_id, connectivity_score, flow_score, contribution_score, value_tier from marts.dim_data_assets"
    ).fetchall()
    assert {row[0] for row in rows} == set(manifest_assets(manifest))
    assert [row for row in rows if None in row] == []
    assert all(0 <= score <= 100 for row in rows for score in row[1:4])


def test_each_build_keeps_one_complete_set_of_scores(manifest: dict, con: duckdb.DuckDBPyConnection) -> None:
    (last_build,) = con.execute(
        "select invocation_id from audit.dbt_invocations where command = 'build' order by run_started_at desc limit 1"
    ).fetchone()
    rows = con.execute("select unique_id from marts.fct_data_asset_scores where invocation_id = ?", [last_build])
    scored = {uid for (uid,) in rows.fetchall()}
    assert scored == set(manifest_assets(manifest))


def test_the_run_history_holds_every_node_dbt_ran(tiny: TinyBuild, con: duckdb.DuckDBPyConnection) -> None:
    """The on-run-end hook's rows equal dbt's own run_results.json of the same build."""
    run_results = json.loads((tiny.database.parent / "target" / "run_results.json").read_text())
    invocation = run_results["metadata"]["invocation_id"]
    # Hooks (operation.*) are not nodes: on-run-end does not see them.
    expected = {
        (r["unique_id"], r["status"]) for r in run_results["results"] if not r["unique_id"].startswith("operation.")
    }
    rows = con.execute("select unique_id, status from audit.dbt_node_results where invocation_id = ?", [invocation])
    recorded = set(rows.fetchall())
    assert recorded == expected
    # A table's recorded row count (at its latest successful build) is its row count.
    (recorded_persons,) = con.execute(
        "select row_count from audit.dbt_node_results where unique_id = 'model.user_asset_warehouse.dim_persons'"
        " and status = 'success' order by completed_at desc limit 1"
    ).fetchone()
    assert recorded_persons == con.execute("select count(*) from marts.dim_persons").fetchone()[0]


def test_lineage_measures_match_the_manifest(manifest: dict, con: duckdb.DuckDBPyConnection) -> None:
    """Direct parents and children, transitive reach and exposures served, recomputed from the
    manifest by a breadth-first walk."""
    assets = manifest_assets(manifest)
    children: dict[str, list[str]] = {uid: [] for uid in assets}
    parents: dict[str, list[str]] = {uid: [] for uid in assets}
    for uid, node in assets.items():
        for parent in node.get("depends_on", {}).get("nodes", []):
            if parent in assets:
                children[parent].append(uid)
                parents[uid].append(parent)

    def downstream(uid: str) -> set[str]:
        seen, queue = set(), deque([uid])
        while queue:
            for child in children[queue.popleft()]:
                if child not in seen:
                    seen.add(child)
                    queue.append(child)
        return seen

    expected = {}
    for uid in assets:
        reach = downstream(uid)
        served = {d for d in reach | {uid} if assets[d]["resource_type"] == "exposure"}
        expected[uid] = (len(parents[uid]), len(children[uid]), len(reach), len(served))
    actual = {
        row[0]: tuple(row[1:])
        for row in con.execute(
            "select unique_id, upstream_count, downstream_count, downstream_reach, exposures_served"
            " from marts.dim_data_assets"
        ).fetchall()
    }
    assert actual == expected
    assert max(reach for _, _, reach, _ in expected.values()) > 20


def test_declared_pii_assets_are_the_ones_holding_pii(con: duckdb.DuckDBPyConnection) -> None:
    declared = {
        name
        for (name,) in con.execute(
            "select asset_name from marts.dim_data_assets where sensitivity = 'pii' and layer <> 'source'"
        ).fetchall()
    }
    # The raw-line models and the rejects keep raw text; the blocklist seed lists test numbers.
    # Nothing else may be declared pii to hide from the scanner (test_tiny_build), which allows
    # raw phone numbers and e-mail addresses only in the assets declared pii.
    assert declared == declared_pii_tables(con)
    assert {"base_tracking__event_lines", "stg_tracking__event_rejects", "identity_blocklist"} <= declared
    assert not any(name.startswith(("dim_", "fct_", "bdg_", "int_")) for name in declared)


def project_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ["dbt_project.yml", "profiles.yml", "macros", "models", "seeds", "snapshots", "tests"]:
        source = PROJECT_DIR / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, copy / name)
    return copy


def test_a_missing_or_unlisted_business_attribute_fails_the_check(tmp_path: Path) -> None:
    project = project_copy(tmp_path)
    # An exposure declares no business attributes, and a folder misspells a category.
    (project / "models" / "marts" / "value" / "_undeclared__exposures.yml").write_text(
        "version: 2\nexposures:\n  - name: undeclared_dashboard\n    type: dashboard\n"
        "    owner: {name: Someone}\n    depends_on: [ref('dim_persons')]\n"
    )
    settings = project / "dbt_project.yml"
    settings.write_text(
        settings.read_text().replace(
            "tracking: {+meta: {domain: tracking, asset_category: behaviour}, base:",
            "tracking: {+meta: {domain: tracking, asset_category: behavior}, base:",
        )
    )
    env = dbt_env(tmp_path / "raw", tmp_path, USER_ASSETS_DBT_TARGET="lint")
    env.update({"DBT_PROJECT_DIR": str(project), "DBT_PROFILES_DIR": str(project)})
    check = "assert_every_asset_declares_business_attributes"
    result = subprocess.run(
        [str(DBT), "test", "--select", check], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1, result.stdout[-3000:]
    assert f"Failure in test {check}" in result.stdout
    compiled = compiled_sql(tmp_path / "target", check)
    problems = duckdb.sql(compiled).fetchall()
    undeclared = "exposure.user_asset_warehouse.undeclared_dashboard"
    assert {(a, p) for uid, _, a, p in problems if uid == undeclared} == {
        (attribute, "missing") for attribute in ["domain", "owner", "asset_category", "sensitivity", "tier"]
    }
    misspelled = {
        uid for uid, _, attribute, problem in problems if (attribute, problem[-8:]) == ("asset_category", "behavior")
    }
    assert "model.user_asset_warehouse.stg_tracking__events" in misspelled
    assert all(".tracking" in uid or "tracking__" in uid for uid in misspelled)
