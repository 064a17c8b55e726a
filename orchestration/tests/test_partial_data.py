"""Somebody else's data: a data set with only some of the sources (events only, orders only), and values no
reference seed lists, build green (issue "Real data in", items 2 and 3).

The raw folders are the tiny sample with sources removed or values replaced by hand: an unseen
product category in orders and events, an unseen app id and city. What must hold: no error, no
skipped node, every person-level mart built; the unseen category keeps its own code (and that
code as its name) and is reported with where it came from; tags that need an absent source are
"not applicable" in the coverage mart instead of failing the tag registry test.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.tests.dbt_helpers import run_dbt
from orchestration.tests.tiny_build import TinyBuild

# Builds the tiny tier many times over: `make test-slow`, not `make test`.
pytestmark = pytest.mark.slow

UNSEEN_CATEGORY = "pet_supplies"
UNSEEN_APP = "com.example.unlisted"
UNSEEN_CITY = "Kashgar-test"
PERSON_MARTS = [
    "dim_persons",
    "fct_person_tags",
    "fct_person_engagement",
    "dim_person_category_groups",
    "fct_user_asset_coverage",
    "fct_rfm_snapshots",
    "fct_lifecycle_stages",
    "fct_state_transitions",
    "fct_person_predictions",
    "bdg_identifiers_to_persons",
]
# Tags defined from the CRM export or from orders (seeds/persons/tag_registry.csv).
CRM_TAGS = {"gender", "age_band", "city", "member_level", "is_member", "has_marketing_consent"}


def _copy_raw(tiny: TinyBuild, work: Path) -> Path:
    raw = work / "raw"
    shutil.copytree(tiny.raw, raw)
    return raw


def _replace_in_files(folder: Path, old: str, new: str) -> int:
    """Replaces text in every file of a folder; returns how many lines changed."""
    changed = 0
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in {".jsonl", ".csv"}:
            text = path.read_text()
            changed += sum(1 for line in text.splitlines() if old in line)
            path.write_text(text.replace(old, new))
    return changed


def _build(raw: Path, work: Path) -> tuple[duckdb.DuckDBPyConnection, list[dict]]:
    result = run_dbt(["build"], raw, work)
    assert result.returncode == 0, result.stdout[-6000:]
    run_results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    return duckdb.connect(str(work / "warehouse.duckdb"), read_only=True), run_results


def _assert_every_node_ran(run_results: list[dict]) -> None:
    bad = [(r["unique_id"], r["status"]) for r in run_results if r["status"] in {"error", "skipped", "fail"}]
    assert bad == []


@pytest.fixture(scope="module")
def events_only(tiny: TinyBuild, tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("events_only")
    raw = _copy_raw(tiny, work)
    for source in ["orders", "crm_members", "campaign_touches", "erasure_requests"]:
        shutil.rmtree(raw / source)
    changed = _replace_in_files(raw / "events", '"category":"fresh_food"', f'"category":"{UNSEEN_CATEGORY}"')
    assert changed > 0
    con, run_results = _build(raw, work)
    yield con, run_results
    con.close()


@pytest.fixture(scope="module")
def orders_only(tiny: TinyBuild, tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("orders_only")
    raw = _copy_raw(tiny, work)
    for source in ["events", "crm_members", "campaign_touches", "erasure_requests"]:
        shutil.rmtree(raw / source)
    con, run_results = _build(raw, work)
    yield con, run_results
    con.close()


@pytest.fixture(scope="module")
def unseen_values(tiny: TinyBuild, tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("unseen_values")
    raw = _copy_raw(tiny, work)
    assert _replace_in_files(raw / "orders", '"category":"fresh_food"', f'"category":"{UNSEEN_CATEGORY}"') > 0
    assert _replace_in_files(raw / "events", '"app_id":"com.uaw.shop.ios"', f'"app_id":"{UNSEEN_APP}"') > 0
    cities = 0
    for path in sorted((raw / "crm_members").rglob("*.csv")):
        lines = path.read_text().splitlines(keepends=True)
        header = lines[0].rstrip("\r\n").split(",")
        city = header.index("city")
        for i, line in enumerate(lines[1:], start=1):
            fields = line.rstrip("\r\n").split(",")
            if len(fields) == len(header) and fields[city]:
                fields[city] = UNSEEN_CITY
                lines[i] = ",".join(fields) + "\n"
                cities += 1
        path.write_text("".join(lines))
    assert cities > 0
    con, run_results = _build(raw, work)
    yield con, run_results
    con.close()


def test_an_events_only_data_set_builds_every_person_mart(events_only) -> None:
    con, run_results = events_only
    _assert_every_node_ran(run_results)
    for mart in PERSON_MARTS:
        assert con.execute(f"select count(*) from marts.{mart}").fetchone()[0] > 0, mart


def test_tags_of_an_absent_source_are_not_applicable(events_only) -> None:
    con, _ = events_only
    rows = dict(
        con.execute(
            "select item, is_applicable from marts.fct_user_asset_coverage where coverage_area = 'tag'"
        ).fetchall()
    )
    assert {tag for tag, applicable in rows.items() if not applicable} >= CRM_TAGS
    assert rows["lifecycle_stage"] is True
    assert rows["churn_risk"] is False  # an order tag, and there are no orders
    other = {
        (area, item): applicable
        for area, item, applicable in con.execute(
            "select coverage_area, item, is_applicable from marts.fct_user_asset_coverage where coverage_area != 'tag'"
        ).fetchall()
    }
    # Reachability needs the CRM's consent, the member id the CRM itself.
    assert not any(applicable for (area, _), applicable in other.items() if area == "reachable_channel")
    assert other[("identifier_type", "member_id")] is False
    assert other[("identifier_type", "device_id")] is True
    assert other[("profile_field", "city")] is False


def test_tag_registry_test_passes_without_crm_or_orders(events_only) -> None:
    _, run_results = events_only
    [registry] = [r for r in run_results if r["unique_id"].endswith("assert_tag_registry_matches_tags")]
    assert registry["status"] == "pass"


def test_an_unseen_category_keeps_its_code_and_is_reported(unseen_values) -> None:
    con, run_results = unseen_values
    _assert_every_node_ran(run_results)
    names = con.execute(
        "select distinct dominant_category_name_zh, dominant_category_name_en"
        " from marts.dim_person_category_groups where dominant_category = ?",
        [UNSEEN_CATEGORY],
    ).fetchall()
    assert names == [(UNSEEN_CATEGORY, UNSEEN_CATEGORY)]
    reported = con.execute(
        "select source_model, source_column, row_count from marts.fct_unlisted_reference_values"
        " where reference_seed = 'categories' and unlisted_value = ?",
        [UNSEEN_CATEGORY],
    ).fetchall()
    assert [(model, column) for model, column, _ in reported] == [("stg_oms__order_items", "category")]
    assert reported[0][2] > 0
    listed = {row[0] for row in con.execute("select category from reference.categories").fetchall()}
    all_reported = {
        row[0] for row in con.execute("select unlisted_value from marts.fct_unlisted_reference_values").fetchall()
    }
    assert all_reported.isdisjoint(listed)


def test_the_unlisted_values_warning_names_its_count(unseen_values) -> None:
    _, run_results = unseen_values
    [warning] = [r for r in run_results if r["unique_id"].endswith("assert_reference_values_listed")]
    assert warning["status"] == "warn"
    assert re.search(r"\b1\b", warning["message"] or "")


def test_unseen_app_and_city_flow_through(unseen_values) -> None:
    con, _ = unseen_values
    assert con.execute("select count(*) from marts.dim_persons where city = ?", [UNSEEN_CITY]).fetchone()[0] > 0
    assert con.execute("select count(*) from marts.fct_events where app_id = ?", [UNSEEN_APP]).fetchone()[0] > 0


def test_an_orders_only_data_set_builds_green(orders_only) -> None:
    """Without any event: the as-of date and the periods come from the orders, the event tags
    are not applicable, and the buyers are persons with their value classes."""
    con, run_results = orders_only
    _assert_every_node_ran(run_results)
    assert con.execute("select count(*) from staging.stg_tracking__events").fetchone()[0] == 0
    orders = con.execute("select count(distinct order_id) from staging.stg_oms__orders").fetchone()[0]
    assert orders > 0
    for mart in ["dim_persons", "fct_person_tags", "fct_rfm_snapshots", "bdg_identifiers_to_persons"]:
        assert con.execute(f"select count(*) from marts.{mart}").fetchone()[0] > 0, mart
    last_order_day = con.execute("select max(partition_date) from staging.stg_oms__order_updates").fetchone()[0]
    assert con.execute("select as_of_date from intermediate.int_as_of_date").fetchone()[0] == last_order_day
    applicable = dict(
        con.execute(
            "select item, is_applicable from marts.fct_user_asset_coverage where coverage_area = 'tag'"
        ).fetchall()
    )
    assert applicable["weekend_active"] is False and applicable["buyer_type"] is True
