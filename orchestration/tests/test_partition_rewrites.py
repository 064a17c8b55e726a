"""Models incremental by partition equal a full build of the same raw folder when a recent
partition loses every line, and when a model they read was rebuilt alone
(macros/incremental/partition_cutoff.sql; docs/incremental.md, "Change tracking"):

- a run deletes every partition from its cutoff before writing, so a partition its select no
  longer produces goes (delete+insert alone replaces only the partitions it inserts);
- a run's cutoff is lowered to what the partition models it reads rewrote since its last run, so
  the staged models follow a lines model rebuilt with `--full-refresh` alone."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.tests.dbt_helpers import build_or_fail, run_dbt
from orchestration.tests.test_tiny_build import comparable_marts, differing_tables
from orchestration.tests.tiny_build import TinyBuild, copy_build

# Builds the tiny tier several times: `make test-slow`, not `make test`.
pytestmark = pytest.mark.slow

PARTITION_TABLES = [
    "staging.base_tracking__event_lines",
    "staging.stg_tracking__events",
    "staging.stg_tracking__event_identifiers",
    "intermediate.int_events_resolved_to_persons",
    "staging.base_oms__order_lines",
    "staging.base_crm__member_lines",
    "staging.stg_crm__member_updates",
    "staging.stg_crm__member_identifiers",
    "staging.base_marketing__campaign_touch_lines",
    "staging.stg_marketing__campaign_touches",
]
# The partitioned sources (docs/raw-landing.md).
SOURCES = ("events", "orders", "crm_members", "campaign_touches")


def rows_in(database: Path, table: str, partition: str) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            f"select count(*) from {table} where partition_date = cast(? as date)", [partition]
        ).fetchone()[0]


def assert_equals_a_full_build(daily: Path, full_work: Path) -> None:
    full = build_or_fail(daily / "raw", full_work)
    compared = PARTITION_TABLES + comparable_marts(full)
    assert differing_tables(daily / "warehouse.duckdb", full, compared) == []


def test_a_partition_that_loses_every_line_goes(tiny: TinyBuild, tmp_path: Path) -> None:
    daily = copy_build(tiny, tmp_path / "daily")
    raw, database = daily / "raw", daily / "warehouse.duckdb"
    # The files of each source's newest partition are taken back (the daily run re-reads it).
    emptied = {}
    for source in SOURCES:
        folder = sorted((raw / source).glob("dt=*"))[-1]
        for path in folder.iterdir():
            path.unlink()
        emptied[source] = folder.name.removeprefix("dt=")
    assert rows_in(database, "staging.stg_crm__member_updates", emptied["crm_members"]) > 0
    assert rows_in(database, "staging.stg_tracking__events", emptied["events"]) > 0

    build_or_fail(raw, daily)

    for table, source in (
        ("staging.base_tracking__event_lines", "events"),
        ("staging.stg_tracking__events", "events"),
        ("staging.stg_tracking__event_identifiers", "events"),
        ("staging.base_oms__order_lines", "orders"),
        ("staging.base_crm__member_lines", "crm_members"),
        ("staging.stg_crm__member_updates", "crm_members"),
        ("staging.stg_crm__member_identifiers", "crm_members"),
        ("staging.base_marketing__campaign_touch_lines", "campaign_touches"),
        ("staging.stg_marketing__campaign_touches", "campaign_touches"),
    ):
        assert rows_in(database, table, emptied[source]) == 0, table
    assert_equals_a_full_build(daily, tmp_path / "full")


def drop_first_record(folder: Path) -> None:
    """Deletes the first record of the folder's first file (after a CSV's header line)."""
    path = sorted(folder.iterdir())[0]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    keep = 1 if path.suffix == ".csv" else 0
    path.write_text("".join(lines[:keep] + lines[keep + 1 :]), encoding="utf-8")


def test_a_partition_model_follows_a_lines_model_rebuilt_alone(tiny: TinyBuild, tmp_path: Path) -> None:
    daily = copy_build(tiny, tmp_path / "daily")
    raw = daily / "raw"
    # A record of the oldest partition, long before any daily cutoff, is taken back; only the
    # lines models are rebuilt whole, as after a change to their rules.
    lines_models = ["base_tracking__event_lines", "base_crm__member_lines", "base_marketing__campaign_touch_lines"]
    for source in ("events", "crm_members", "campaign_touches"):
        drop_first_record(sorted((raw / source).glob("dt=*"))[0])
    rebuilt = run_dbt(["run", "--full-refresh", "-s", *lines_models], raw, daily)
    assert rebuilt.returncode == 0, rebuilt.stdout[-4000:]

    build_or_fail(raw, daily)

    with duckdb.connect(str(daily / "warehouse.duckdb"), read_only=True) as con:
        for model in ("stg_tracking__events", "stg_crm__member_updates", "stg_marketing__campaign_touches"):
            # Each staged model rewrote everything: the lines model it reads was rebuilt whole.
            (written_from,) = con.execute(
                f"select written_from from audit.dbt_partition_writes__{model} order by written_at desc limit 1"
            ).fetchone()
            assert written_from is None, model
    assert_equals_a_full_build(daily, tmp_path / "full")
