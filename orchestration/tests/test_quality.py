"""Great Expectations suites: each critical expectation fails on data made to break it, and as a
blocking Dagster check it then stops what depends on the asset."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.definitions import gx_asset_check
from orchestration.quality.core import validate
from orchestration.quality.suites import SUBJECTS
from orchestration.tests.tiny_build import TinyBuild

BY_NAME = {subject.name: subject for subject in SUBJECTS}


@pytest.fixture
def broken(tiny: TinyBuild, tmp_path: Path) -> Path:
    """A writable copy of the tiny warehouse, to break."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(tiny.database, copy)
    return copy


def test_every_suite_passes_its_critical_expectations_on_the_tiny_build(tiny: TinyBuild) -> None:
    outcomes = validate(SUBJECTS, tiny.database)
    assert [o.subject for o in outcomes if not o.passed] == []
    assert all(o.evaluated > 0 for o in outcomes)


BREAKAGES = {
    "identifiers_one_person_each": (
        "insert into marts.bdg_identifiers_to_persons"
        " select * replace ('p_someone_else' as one_id) from marts.bdg_identifiers_to_persons limit 1",
        "expect_column_values_to_be_between(person_count)",
    ),
    "person_scores_in_range": (
        "update marts.fct_person_engagement set engagement_score = -1"
        " where one_id = (select min(one_id) from marts.fct_person_engagement)",
        "expect_column_values_to_be_between(engagement_score)",
    ),
    "daily_event_volume": (
        # fct_events is a view over the resolved events: break the table behind it.
        "delete from intermediate.int_events_resolved_to_persons"
        " where event_date = (select max(event_date) from marts.fct_events) - 3",
        "expect_column_values_to_be_between(events)",
    ),
    "rfm_latest_snapshot": (
        "update marts.fct_rfm_snapshots set r_score = 7"
        " where snapshot_date = (select max(snapshot_date) from marts.fct_rfm_snapshots) and r_score is not null",
        "expect_column_values_to_be_between(r_score)",
    ),
    "raw_events_recent_partitions": (
        "delete from staging.base_tracking__event_lines"
        " where partition_date = (select max(partition_date) from staging.base_tracking__event_lines) - 2",
        "expect_column_values_to_be_between(raw_lines)",
    ),
}


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_a_critical_expectation_fails_on_broken_data(name: str, broken: Path) -> None:
    statement, expected = BREAKAGES[name]
    with duckdb.connect(str(broken)) as con:
        con.execute(statement)
    (outcome,) = validate([BY_NAME[name]], broken)
    assert not outcome.passed
    assert expected in outcome.failed_critical


def test_a_failed_gx_check_blocks_what_depends_on_the_asset(broken: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER_ASSETS_DUCKDB_PATH", str(broken))
    statement, _ = BREAKAGES["identifiers_one_person_each"]
    with duckdb.connect(str(broken)) as con:
        con.execute(statement)

    @dg.asset(name="bdg_identifiers_to_persons")
    def bridge() -> None:
        """Stands in for the dbt model (already built in the copy)."""

    @dg.asset(deps=[bridge])
    def downstream() -> None:
        """Would materialize if the check did not block it."""

    check = gx_asset_check(BY_NAME["identifiers_one_person_each"], bridge.key)
    result = dg.materialize([bridge, downstream, check], raise_on_error=False)
    assert not result.success
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "person_count" in evaluation.metadata["failed_critical"].value
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert downstream.key not in materialized


def test_data_docs_list_every_suite(tiny: TinyBuild, tmp_path: Path) -> None:
    validate(SUBJECTS, tiny.database, docs_root=tmp_path)
    index = tmp_path / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    html = index.read_text()
    assert html.lstrip().lower().startswith("<!doctype html")
    assert [s.name for s in SUBJECTS if s.name not in html] == []
