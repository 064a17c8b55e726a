"""The Dagster code location: `dagster dev -m orchestration.definitions` (or `make ui`).

Assets: the raw landing (the five sources; in production, the default, files arrive and the sensor
notices; with USER_ASSETS_RAW_MODE=demo materializing it lands one more simulated day), every dbt
seed, model and snapshot (dbt tests become asset checks; a failing test fails the run and skips
what depends on it), and the serving copy for BI, and the dbt exposures (the dashboards and
applications BI builds on the marts, not materialized here). Grouped by layer and domain from the
dbt folders, owned by the teams in dbt `meta.owner`.

Automation: `daily_build` at 06:00 Asia/Shanghai; `new_raw_partition` starts it when a new
`dt=` partition of the events lands; `full_refresh` rebuilds everything from scratch;
`full_tests_build` (Sundays at 09:00) builds with every data test over whole tables, as daily runs
test only what they wrote.
Nothing heavy happens at import time: the dbt manifest is read, no database is opened.
"""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DbtCliResource,
    dbt_assets,
    get_asset_key_for_model,
)

from orchestration import serving, settings
from orchestration.project import TRANSLATOR, dbt_project
from orchestration.quality.core import Subject
from orchestration.quality.suites import SUBJECTS

SOURCES = {
    "tracking": ["events"],
    "oms": ["orders"],
    "crm": ["members"],
    "marketing": ["campaign_touches"],
    "privacy": ["erasure_requests"],
}
RAW_FOLDERS = {
    "events": "events",
    "orders": "orders",
    "members": "crm_members",
    "campaign_touches": "campaign_touches",
    "erasure_requests": "erasure_requests",
}


class DbtBuildConfig(dg.Config):
    full_refresh: bool = False
    # Test every table whole, not only what an incremental run wrote (dbt var full_tests).
    full_tests: bool = False


def dbt_build_args(config: DbtBuildConfig) -> list[str]:
    return [
        "build",
        *(["--full-refresh"] if config.full_refresh else []),
        *(["--vars", json.dumps({"full_tests": True})] if config.full_tests else []),
    ]


@dbt_assets(manifest=dbt_project.manifest_path, dagster_dbt_translator=TRANSLATOR)
def warehouse_dbt_assets(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig
) -> Iterator[Any]:
    yield from dbt.cli(dbt_build_args(config), context=context).stream()


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["raw", source, table],
            group_name="raw",
            owners=["team:data-platform"],
            description=f"Raw landing files of {source}.{table} under USER_ASSETS_RAW_DIR (SPEC section 2).",
        )
        for source, tables in SOURCES.items()
        for table in tables
    ],
    can_subset=False,
)
def raw_landing(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
    """Production (the default): the files arrive on their own; materializing this asset only
    records what is there, and fails when there are no events. It never writes or deletes a file.
    Demo (USER_ASSETS_RAW_MODE=demo, asked for explicitly): generate the sample tier
    (USER_ASSETS_DEMO_TIER, default tiny) when there are no events yet, else land one more
    simulated day; the simulator refuses a folder it did not generate (docs/safety.md)."""
    raw = settings.raw_dir()
    try:
        mode = settings.raw_mode()
    except ValueError as error:
        raise dg.Failure(description=str(error)) from None
    if mode == "demo":
        command = [sys.executable, "-m", "orchestration.simulate", "--out", str(raw)]
        if latest_partition(raw):
            command.append("--land-next-day")
        else:
            command += ["--tier", os.environ.get("USER_ASSETS_DEMO_TIER", "tiny"), "--seed", "42"]
        context.log.info(" ".join(command))
        done = subprocess.run(command, cwd=settings.PROJECT_DIR, capture_output=True, text=True)
        if done.returncode != 0:
            raise dg.Failure(
                description=f"USER_ASSETS_RAW_MODE=demo: the simulator did not land data in {raw} "
                f"(USER_ASSETS_RAW_DIR), exit code {done.returncode}:\n{done.stderr.strip()[-2000:]}"
            )
    elif latest_partition(raw) is None:
        raise dg.Failure(
            description=f"No events partition (dt=...) under {raw / 'events'} (USER_ASSETS_RAW_DIR); the "
            "events are required. USER_ASSETS_RAW_MODE is production (the default), in which this asset "
            "never writes or deletes raw files: land the files there, or set USER_ASSETS_RAW_MODE=demo "
            "to have the simulator generate the sample into a new or empty folder."
        )
    for source, tables in SOURCES.items():
        for table in tables:
            partitions = sorted(p.name for p in (raw / RAW_FOLDERS[table]).glob("dt=*"))
            yield dg.MaterializeResult(
                asset_key=["raw", source, table],
                metadata={
                    "partitions": len(partitions),
                    "latest_partition": partitions[-1] if partitions else "none",
                    "folder": str(raw / RAW_FOLDERS[table]),
                },
            )


@dg.asset(
    deps=[warehouse_dbt_assets],
    group_name="serving",
    owners=["team:data-platform"],
    description="The marts published for BI: a DuckDB 1.4-readable file and one Parquet file per mart "
    "(orchestration/serving.py), replaced atomically after each successful build.",
)
def serving_copy(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    counts = serving.publish(manifest=dbt_project.manifest_path)
    context.log.info(f"published {len(counts)} marts to {serving.serving_dir()}")
    return dg.MaterializeResult(
        metadata={"marts": len(counts), "rows": sum(counts.values()), "path": str(serving.serving_dir())}
    )


def exposure_specs(manifest_path: Path) -> list[dg.AssetSpec]:
    """One external asset per dbt exposure, downstream of the models it reads: what breaks for
    users when a mart breaks."""
    manifest = json.loads(manifest_path.read_text())
    specs = []
    for exposure in manifest["exposures"].values():
        meta = exposure.get("config", {}).get("meta") or exposure.get("meta") or {}
        deps = [
            TRANSLATOR.get_asset_key(manifest["nodes"][uid])
            for uid in exposure["depends_on"]["nodes"]
            if uid in manifest["nodes"]
        ]
        specs.append(
            dg.AssetSpec(
                ["exposures", exposure["name"]],
                deps=deps,
                group_name="exposures",
                owners=[f"team:{meta['owner']}"] if meta.get("owner") else [],
                description=exposure.get("description") or None,
                kinds={exposure["type"]},
                metadata={"url": dg.MetadataValue.url(exposure["url"])} if exposure.get("url") else None,
            )
        )
    return specs


def gx_asset_check(subject: Subject, asset_key: dg.AssetKey) -> dg.AssetChecksDefinition:
    """A Great Expectations suite as a blocking Dagster check: a failed critical expectation fails
    the check (ERROR) and stops what depends on the asset, the serving copy among them; failed
    warnings are recorded (WARN) and block nothing."""

    @dg.asset_check(asset=asset_key, name=f"gx_{subject.name}", blocking=True, description=subject.name)
    def _check() -> dg.AssetCheckResult:
        from orchestration.quality.core import validate  # imports GX (3 s) only when checking

        (outcome,) = validate([subject], settings.duckdb_path())
        return dg.AssetCheckResult(
            passed=not outcome.failed_critical and not outcome.failed_warning,
            severity=dg.AssetCheckSeverity.ERROR if outcome.failed_critical else dg.AssetCheckSeverity.WARN,
            metadata={
                "rows": outcome.rows,
                "expectations": outcome.evaluated,
                "failed_critical": ", ".join(outcome.failed_critical) or "none",
                "failed_warning": ", ".join(outcome.failed_warning) or "none",
            },
        )

    return _check


gx_checks = [
    gx_asset_check(subject, get_asset_key_for_model([warehouse_dbt_assets], subject.asset)) for subject in SUBJECTS
]

build_selection = (
    dg.AssetSelection.assets(warehouse_dbt_assets)
    | dg.AssetSelection.assets(serving_copy)
    | dg.AssetSelection.checks(*gx_checks)
)
daily_build = dg.define_asset_job(
    "daily_build", selection=build_selection, description="dbt build of everything, then the serving copy."
)
full_refresh = dg.define_asset_job(
    "full_refresh",
    selection=build_selection,
    config={"ops": {"warehouse_dbt_assets": {"config": {"full_refresh": True}}}},
    description="dbt build --full-refresh, then the serving copy.",
)
full_tests_build = dg.define_asset_job(
    "full_tests_build",
    selection=build_selection,
    config={"ops": {"warehouse_dbt_assets": {"config": {"full_tests": True}}}},
    description="dbt build with every data test over whole tables (var full_tests), then the serving copy.",
)
daily_schedule = dg.ScheduleDefinition(
    name="daily_build_schedule",
    job=daily_build,
    cron_schedule="0 6 * * *",
    execution_timezone="Asia/Shanghai",
    description="Every day at 06:00 Beijing time, after the night's files have landed.",
)
# Daily runs test only what they wrote (docs/incremental.md); once a week every table is tested
# whole, so an error in older rows (a changed rule, a hand edit) does not go unchecked.
weekly_full_tests_schedule = dg.ScheduleDefinition(
    name="weekly_full_tests_schedule",
    job=full_tests_build,
    cron_schedule="0 9 * * 0",
    execution_timezone="Asia/Shanghai",
    description="Every Sunday at 09:00 Beijing time (after the daily build): dbt build with full tests.",
)


def latest_partition(raw: Path) -> str | None:
    partitions = sorted(p.name for p in (raw / "events").glob("dt=*") if p.is_dir())
    return partitions[-1] if partitions else None


@dg.sensor(job=daily_build, minimum_interval_seconds=300, description="A new dt= partition of the events landed.")
def new_raw_partition(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    latest = latest_partition(settings.raw_dir())
    if latest is None:
        return dg.SkipReason(f"no events partition under {settings.raw_dir() / 'events'}")
    if context.cursor == latest:
        return dg.SkipReason(f"no new partition since {latest}")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=latest)], cursor=latest)


defs = dg.Definitions(
    assets=[raw_landing, warehouse_dbt_assets, serving_copy, *exposure_specs(dbt_project.manifest_path)],
    asset_checks=gx_checks,
    jobs=[daily_build, full_refresh, full_tests_build],
    schedules=[daily_schedule, weekly_full_tests_schedule],
    sensors=[new_raw_partition],
    # The dbt of this interpreter's environment, whether or not the venv is on PATH.
    resources={"dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt"))},
)
