"""The dashboards the project promises exist as code (issue 28, items 1 and 2), without Superset.

Every dbt exposure of type dashboard points at its dashboard in `make bi`, and bi/dashboards/ (Superset's
import format) has that dashboard; its charts read datasets on marts the exposure depends on, and
every column a chart names (axes, groupings, metrics, filters, SQL expressions, sort keys) exists in
that mart according to the dbt manifest, or is a flag the serving copy adds (is_latest_snapshot,
is_latest_period). The browser check that they render is `make test-bi` (orchestration/tests/bi_browser)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from orchestration import serving
from orchestration.settings import PROJECT_DIR

ASSETS = PROJECT_DIR / "bi" / "dashboards"
URL = re.compile(r"^http://127\.0\.0\.1:8088/superset/dashboard/(?P<slug>[a-z0-9-]+)/$")
# Chart parameters that hold a column name (or a list of them, or adhoc columns).
COLUMN_KEYS = ("x_axis", "groupby", "columns", "all_columns", "groupbyRows", "groupbyColumns", "series", "entity")
# Words of the SQL expressions in charts that are not columns; a word followed by "(" is a function.
SQL_WORDS = {"and", "or", "not", "is", "null", "true", "false", "case", "when", "then", "else", "end", "as", "in"}
SQL_WORDS |= {"distinct", "between", "like", "cast", "double", "integer", "bigint", "varchar", "date", "interval"}
IDENTIFIER = re.compile(r"'[^']*'|\"([^\"]+)\"|\b([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()")
METRIC_KEYS = ("metric", "metrics", "percent_metrics", "timeseries_limit_metric", "secondary_metric", "size", "x", "y")


def load(folder: str) -> dict[Path, dict]:
    return {path: yaml.safe_load(path.read_text()) for path in sorted((ASSETS / folder).rglob("*.yaml"))}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((PROJECT_DIR / "target" / "manifest.json").read_text())


@pytest.fixture(scope="module")
def mart_columns(manifest: dict) -> dict[str, set[str]]:
    """Columns per mart as BI sees them: the manifest's, plus the serving copy's latest flags."""
    marts = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["schema"] == serving.MARTS_SCHEMA:
            columns = set(node["columns"])
            columns |= {flag for column, flag in serving.LATEST_FLAGS.items() if column in columns}
            marts[node["name"]] = columns
    return marts


def sql_columns(sql: str) -> set[str]:
    """The column names in a chart's SQL expression (quoted or bare words; strings skipped)."""
    names = set()
    for quoted, word in IDENTIFIER.findall(sql):
        if quoted or (word and word.lower() not in SQL_WORDS):
            names.add(quoted or word)
    return names


def metric_columns(metric: object) -> set[str]:
    if not isinstance(metric, dict):  # a saved metric's name, or a metric label
        return set()
    if metric.get("expressionType") == "SQL":
        return sql_columns(metric["sqlExpression"])
    return {metric["column"]["column_name"]}


def chart_columns(params: dict) -> set[str]:
    """Every column of its dataset a chart's parameters name."""
    names: set[str] = set()
    for key in COLUMN_KEYS:
        values = params.get(key)
        for value in values if isinstance(values, list) else [values] if values else []:
            if isinstance(value, dict):
                names |= sql_columns(value["sqlExpression"]) if "sqlExpression" in value else {value["column_name"]}
            else:
                names.add(value)
    for key in METRIC_KEYS:
        values = params.get(key)
        for value in values if isinstance(values, list) else [values] if values else []:
            names |= metric_columns(value)
    for condition in params.get("adhoc_filters", []):
        if condition["expressionType"] == "SQL":
            names |= sql_columns(condition["sqlExpression"])
        else:
            names.add(condition["subject"])
    for order in params.get("order_by_cols", []):
        names.add(json.loads(order)[0])
    return names


def dashboard_exposures(manifest: dict) -> dict[str, dict]:
    return {node["name"]: node for node in manifest["exposures"].values() if node["type"] == "dashboard"}


def test_every_dashboard_exposure_points_at_its_dashboard_in_make_bi(manifest: dict) -> None:
    exposures = dashboard_exposures(manifest)
    assert len(exposures) >= 7
    slugs = {content["slug"] for content in load("dashboards").values()}
    for name, exposure in exposures.items():
        match = URL.match(exposure["url"] or "")
        assert match, f"exposure {name}: url {exposure['url']} is not a dashboard of `make bi`"
        assert match["slug"] in slugs, f"exposure {name}: no dashboard with slug {match['slug']} in {ASSETS}"
    # ... and every dashboard kept in the repo is declared as an exposure (lineage, inventory).
    declared = {URL.match(exposure["url"])["slug"] for exposure in exposures.values()}
    assert slugs == declared


def test_charts_read_the_exposures_marts_and_name_only_existing_columns(
    manifest: dict, mart_columns: dict[str, set[str]]
) -> None:
    charts = {content["uuid"]: (path, content) for path, content in load("charts").items()}
    datasets = {content["uuid"]: content for content in load("datasets").values()}
    databases = {content["uuid"]: content for content in load("databases").values()}
    by_slug = {content["slug"]: content for content in load("dashboards").values()}
    checked = 0
    for name, exposure in dashboard_exposures(manifest).items():
        dashboard = by_slug[URL.match(exposure["url"])["slug"]]
        depends_on = {manifest["nodes"][uid]["name"] for uid in exposure["depends_on"]["nodes"]}
        in_dashboard = [
            item["meta"]["uuid"]
            for item in dashboard["position"].values()
            if isinstance(item, dict) and item.get("type") == "CHART"
        ]
        assert in_dashboard, f"dashboard {dashboard['slug']} has no charts"
        for chart_uuid in in_dashboard:
            assert chart_uuid in charts, f"dashboard {dashboard['slug']}: chart {chart_uuid} has no file"
            path, chart = charts[chart_uuid]
            dataset = datasets[chart["dataset_uuid"]]
            mart = dataset["table_name"]
            assert dataset["schema"] == serving.MARTS_SCHEMA, path
            assert mart in depends_on, f"{path.name} reads {mart}, which exposure {name} does not depend on"
            unknown = chart_columns(chart["params"]) - mart_columns[mart]
            assert not unknown, f"{path.relative_to(PROJECT_DIR)} names columns {sorted(unknown)} not in mart {mart}"
            checked += 1
    assert checked == len(charts), "a chart file belongs to no dashboard"
    for dataset in datasets.values():
        assert dataset["table_name"] in mart_columns, f"dataset {dataset['table_name']} is not a mart"
        assert "access_mode=read_only" in databases[dataset["database_uuid"]]["sqlalchemy_uri"]


def test_the_column_check_catches_a_misspelt_column() -> None:
    """The check above can fail: a chart naming a column the mart lacks is reported."""
    params = {
        "x_axis": "snapshot_date",
        "metrics": [
            {
                "expressionType": "SQL",
                "sqlExpression": "SUM(person_cnt) / COUNT(*) + MAX(CASE WHEN \"rfm class\" = 'x' THEN 1 END)",
                "label": "x",
            }
        ],
        "adhoc_filters": [{"expressionType": "SIMPLE", "subject": "is_latest_snapshot", "operator": "IS TRUE"}],
        "order_by_cols": ['["rfm_klass", true]'],
    }
    assert chart_columns(params) == {"snapshot_date", "person_cnt", "rfm class", "is_latest_snapshot", "rfm_klass"}
