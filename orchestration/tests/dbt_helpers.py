"""Run dbt against a raw folder in a throwaway directory, the way `make` does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from orchestration.settings import PROJECT_DIR

DBT = Path(sys.executable).parent / "dbt"


def dbt_env(raw_dir: Path, work_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DBT_PROFILES_DIR": str(PROJECT_DIR),
            "DBT_PROJECT_DIR": str(PROJECT_DIR),
            "USER_ASSETS_RAW_DIR": str(raw_dir),
            # The file stem must stay "warehouse": dbt names the database after it.
            "USER_ASSETS_DUCKDB_PATH": str(work_dir / "warehouse.duckdb"),
            "DBT_TARGET_PATH": str(work_dir / "target"),
            "DBT_LOG_PATH": str(work_dir / "logs"),
        }
    )
    env.update(extra)
    return env


def run_dbt(args: list[str], raw_dir: Path, work_dir: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """Run a dbt command; the result carries stdout so a test can show why a build failed."""
    return subprocess.run(
        [str(DBT), *args],
        cwd=PROJECT_DIR,
        env=dbt_env(raw_dir, work_dir, **extra),
        capture_output=True,
        text=True,
        check=False,
    )


def build_or_fail(raw_dir: Path, work_dir: Path, **extra: str) -> Path:
    """`dbt build` into work_dir; returns the DuckDB file or fails the test with dbt's output."""
    work_dir.mkdir(parents=True, exist_ok=True)
    result = run_dbt(["build"], raw_dir, work_dir, **extra)
    if result.returncode != 0:
        raise AssertionError(f"dbt build failed ({result.returncode}):\n{result.stdout[-6000:]}")
    return work_dir / "warehouse.duckdb"


def dbt_show(sql: str, raw_dir: Path, work_dir: Path, **extra: str) -> list[dict]:
    """The rows of `dbt show --inline sql` on a dbt connection (its profile's settings applied);
    fails the test with dbt's output when the command fails."""
    result = run_dbt(
        ["show", "--output", "json", "--log-format", "text", "--limit", "50", "--inline", sql],
        raw_dir,
        work_dir,
        **extra,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    return json.loads(result.stdout[result.stdout.index("{") :].rsplit("}", 1)[0] + "}")["show"]


def compiled_sql(target: Path, model: str) -> str:
    """The SQL dbt compiled for `model` in `target`, not a unit test's fixture of the same name
    (those sit in a folder named after the yml file declaring the unit test)."""
    paths = [path for path in (target / "compiled").rglob(f"{model}.sql") if path.parent.suffix != ".yml"]
    assert len(paths) == 1, paths
    return paths[0].read_text()


def run_compiled(con, compiled: str, sql: str = "{compiled}") -> list[tuple]:
    """Runs SQL built around a model's or test's compiled SQL on `con`. Compiled SQL that reads
    raw files refers to the temporary tables its run filled (raw_scan_<table>, macros/raw/
    raw_lines.sql) and shows each one's scan as a comment just before: those scans are run first."""
    import re

    scans = re.findall(
        r"-- Read while compiling[^\n]*\n((?:\s*--[^\n]*\n)+?)\s*select \* from (raw_scan_\w+)", compiled
    )
    for commented, table in scans:
        scan = "\n".join(line.strip()[3:] if line.strip().startswith("-- ") else "" for line in commented.splitlines())
        con.execute(f"create or replace temp table {table} as {scan}")
    return con.execute(sql.format(compiled=compiled)).fetchall()


# Every raw source's lines model (every non-blank raw line with its fate).
LINES_MODELS = {
    "events": "base_tracking__event_lines",
    "orders": "base_oms__order_lines",
    "crm_members": "base_crm__member_lines",
    "campaign_touches": "base_marketing__campaign_touch_lines",
    "erasure_requests": "base_privacy__erasure_request_lines",
}


def line_fates(con, where: str) -> dict[tuple[str, int], str]:
    """(file_name, line_number) -> reject reason, or `accepted` / `duplicate`, of the lines of
    every lines model that match `where`."""
    fates = {}
    for model in LINES_MODELS.values():
        for file_name, line_number, status, reason in con.execute(
            f"select file_name, line_number, line_status, reject_reason from staging.{model} where {where}"
        ).fetchall():
            fates[(file_name, line_number)] = reason if status == "rejected" else status
    return fates
