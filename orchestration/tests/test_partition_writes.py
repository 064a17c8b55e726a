"""Change tracking by partition (docs/incremental.md, "Change tracking"): every model incremental
by partition logs, in audit.dbt_partition_writes__<model>, what each run rewrote. A full build
logs "everything" (written_from null) once per model; the daily run's row is checked by
test_identity_incremental.py, which lands days."""

from __future__ import annotations

import json

import duckdb

from orchestration.settings import PROJECT_DIR
from orchestration.tests.tiny_build import TinyBuild


def partition_models() -> set[str]:
    """The models whose config runs the log's pre-hook, from the parsed project."""
    nodes = json.loads((PROJECT_DIR / "target" / "manifest.json").read_text())["nodes"].values()
    return {
        node["name"]
        for node in nodes
        if node["resource_type"] == "model"
        and any("record_partition_writes" in hook["sql"] for hook in node["config"].get("pre-hook", []))
    }


def test_every_model_incremental_by_partition_logs_its_writes(tiny: TinyBuild) -> None:
    models = partition_models()
    # The event, order, CRM and touch lines, the staged events and identifiers, the coverage mart.
    assert {"base_tracking__event_lines", "stg_tracking__event_identifiers", "base_oms__order_lines"} <= models
    with duckdb.connect(str(tiny.database), read_only=True) as con:
        logged = {
            name.removeprefix("dbt_partition_writes__")
            for (name,) in con.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'audit' and table_name like 'dbt_partition_writes__%'"
            ).fetchall()
        }
        assert logged == models
        for model in sorted(models):
            rows = con.execute(
                f"select invocation_id, written_from, written_at from audit.dbt_partition_writes__{model}"
            ).fetchall()
            # One build from scratch: one row saying every partition was written.
            assert len(rows) == 1, (model, rows)
            invocation, written_from, written_at = rows[0]
            assert invocation and written_at is not None, (model, rows)
            assert written_from is None, (model, rows)
