"""Report the last dbt invocation to the Dagster instance, so that the Dagster UI (`make ui`) shows
what a build outside Dagster did: `make build` (and so `make demo`) runs it after `dbt build`.

Each model, seed and snapshot dbt built successfully becomes an AssetMaterialization, and each
test a check evaluation (passed, or failed with severity ERROR, or WARN for a test that only warns),
under the asset and check keys of the code location (orchestration/project.py's translator, the one
`@dbt_assets` uses), with dbt's status, timing and invocation id as metadata. They are reported as
runless events: the UI shows them on each asset's page and Checks tab, without a run.

It reads target/run_results.json and target/manifest.json (DBT_TARGET_PATH) of that invocation and
writes to the instance in DAGSTER_HOME (default dagster_home/ of the project, the one `make ui`
serves). An invocation is reported once: the last one reported is kept in
DAGSTER_HOME/dbt_reported_invocation, so a dbt command that failed before writing its results does
not report the previous results again.

`make validate` reports its Great Expectations suites the same way (report_quality): each suite is
the check `gx_<suite>` of the dbt asset it validates (orchestration/definitions.py), so after
`make demo` no check of a dbt asset is left "not evaluated".

usage: python -m orchestration.dagster_report
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt.asset_utils import get_asset_check_key_for_test

from orchestration import serving, settings
from orchestration.project import TRANSLATOR

BUILT = ("model", "seed", "snapshot")
EVALUATED = {"pass": (True, dg.AssetCheckSeverity.ERROR), "fail": (False, dg.AssetCheckSeverity.ERROR)}
EVALUATED |= {"error": (False, dg.AssetCheckSeverity.ERROR), "warn": (False, dg.AssetCheckSeverity.WARN)}
REPORTED_MARK = "dbt_reported_invocation"


def dagster_events(
    run_results: Mapping[str, Any], manifest: Mapping[str, Any]
) -> Iterator[dg.AssetMaterialization | dg.AssetCheckEvaluation]:
    """The Dagster events of one dbt invocation: nodes not built (error, skipped) and tests not
    run (skipped) report nothing, so the UI keeps showing their last real state."""
    invocation_id = run_results["metadata"]["invocation_id"]
    for result in run_results["results"]:
        node = manifest["nodes"].get(result["unique_id"])
        if node is None:
            continue
        metadata = {
            "unique_id": result["unique_id"],
            "invocation_id": invocation_id,
            "status": result["status"],
            "execution_duration": result.get("execution_time") or 0.0,
            "reported_by": "orchestration.dagster_report (a dbt build outside Dagster)",
        }
        completed = [timing["completed_at"] for timing in result.get("timing") or [] if timing.get("completed_at")]
        if completed:
            metadata["dbt_completed_at"] = dg.MetadataValue.timestamp(dt.datetime.fromisoformat(completed[-1]))
        kind = node["resource_type"]
        if kind in BUILT and result["status"] == "success" and node["config"].get("materialized") != "ephemeral":
            yield dg.AssetMaterialization(asset_key=TRANSLATOR.get_asset_key(node), metadata=metadata)
        elif kind == "test" and result["status"] in EVALUATED:
            key = get_asset_check_key_for_test(manifest, TRANSLATOR, result["unique_id"], None)
            if key is None:
                continue
            passed, severity = EVALUATED[result["status"]]
            if result.get("failures") is not None:
                metadata["failed_row_count"] = result["failures"]
            yield dg.AssetCheckEvaluation(
                asset_key=key.asset_key, check_name=key.name, passed=passed, severity=severity, metadata=metadata
            )


def quality_evaluation(outcome: Any, asset_key: dg.AssetKey) -> dg.AssetCheckEvaluation:
    """One Great Expectations suite's outcome (orchestration.quality.core.Outcome) as the check
    evaluation the Dagster check `gx_<suite>` records: a failed critical expectation fails it with
    severity ERROR, a failed warning with severity WARN."""
    return dg.AssetCheckEvaluation(
        asset_key=asset_key,
        check_name=f"gx_{outcome.subject}",
        passed=not outcome.failed_critical and not outcome.failed_warning,
        severity=dg.AssetCheckSeverity.ERROR if outcome.failed_critical else dg.AssetCheckSeverity.WARN,
        metadata={
            "rows": outcome.rows,
            "expectations": outcome.evaluated,
            "failed_critical": ", ".join(outcome.failed_critical) or "none",
            "failed_warning": ", ".join(outcome.failed_warning) or "none",
            "reported_by": "orchestration.dagster_report (make validate outside Dagster)",
        },
    )


def report_quality(outcomes: list[Any], target_dir: Path | None = None, home: Path | None = None) -> int:
    """Report Great Expectations outcomes as check evaluations of the dbt models they validate
    (found by name in target_dir/manifest.json); returns how many were reported."""
    target_dir, home = target_dir or serving.dbt_target_dir(), home or dagster_home()
    if not (target_dir / "manifest.json").exists():
        raise FileNotFoundError(
            f"No dbt manifest in {target_dir} (DBT_TARGET_PATH) to find the models the suites validate:"
            " run `make build` first."
        )
    manifest = json.loads((target_dir / "manifest.json").read_text())
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] in BUILT}
    unknown = sorted({o.asset for o in outcomes} - models.keys())
    if unknown:
        raise ValueError(
            f"Great Expectations suites name models {unknown} that {target_dir / 'manifest.json'} does not"
            " hold: fix Subject.asset in orchestration/quality/suites.py, or run `dbt parse`."
        )
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for outcome in outcomes:
            instance.report_runless_asset_event(
                quality_evaluation(outcome, TRANSLATOR.get_asset_key(models[outcome.asset]))
            )
    return len(outcomes)


def dagster_home() -> Path:
    """DAGSTER_HOME (made absolute and created), else the project's dagster_home/."""
    home = settings._resolve(os.environ.get("DAGSTER_HOME") or "dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    return home


def report(target_dir: Path, home: Path) -> tuple[int, int] | None:
    """Report the invocation in target_dir to the instance in home; returns (materializations,
    check evaluations), or None when there is nothing new to report."""
    results_path, manifest_path = target_dir / "run_results.json", target_dir / "manifest.json"
    if not results_path.exists() or not manifest_path.exists():
        return None
    run_results = json.loads(results_path.read_text())
    mark = home / REPORTED_MARK
    invocation_id = run_results["metadata"]["invocation_id"]
    if mark.exists() and mark.read_text().strip() == invocation_id:
        return None
    manifest = json.loads(manifest_path.read_text())
    counts = [0, 0]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for event in dagster_events(run_results, manifest):
            instance.report_runless_asset_event(event)
            counts[isinstance(event, dg.AssetCheckEvaluation)] += 1
    mark.write_text(f"{invocation_id}\n")
    return counts[0], counts[1]


def main() -> int:
    target_dir, home = serving.dbt_target_dir(), dagster_home()
    counts = report(target_dir, home)
    if counts is None:
        print(f"dagster_report: no new dbt results in {target_dir} (DBT_TARGET_PATH) to report")
        return 0
    print(
        f"Reported {counts[0]} materializations and {counts[1]} check evaluations of this dbt build to the"
        f" Dagster instance in {home} (see them with `make ui`)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
