"""The dbt project as Dagster sees it: where it is, and how its nodes become assets and checks.
Kept apart from the definitions so that `dagster-dbt project prepare-and-package --file
orchestration/project.py`, and orchestration/dagster_report.py, can import it without a manifest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from orchestration.settings import PROJECT_DIR

# The manifest is prepared by `dbt parse` (make ui, make test) rather than `prepare_if_dev()`,
# which looks for `dbt` on PATH and fails when the venv is not activated.
dbt_project = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR, target="dev")


class WarehouseTranslator(DagsterDbtTranslator):
    """Groups by layer and domain (`staging_tracking`, `marts_persons`, `seeds_identity`), owners
    from `meta.owner`, sources as the raw landing's assets."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            if dbt_resource_props["source_name"] == "dbt_audit":  # the run history dbt writes itself
                return dg.AssetKey(["audit", dbt_resource_props["name"]])
            return dg.AssetKey(["raw", dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        kind = dbt_resource_props["resource_type"]
        if kind == "seed":
            return f"seeds_{fqn[1]}" if len(fqn) > 2 else "seeds"
        if kind == "snapshot":
            return "snapshots"
        if len(fqn) > 3:
            return f"{fqn[1]}_{fqn[2]}"
        return fqn[1] if len(fqn) > 2 else "default"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        owner = (dbt_resource_props.get("meta") or {}).get("owner") or (
            dbt_resource_props.get("config", {}).get("meta") or {}
        ).get("owner")
        return [f"team:{owner}"] if owner else []


# Tests of the run-history sources (audit.*) are checks of those source assets; every other dbt
# test is a check of the model it tests (a singular test of several models names one in
# meta.dagster.ref, tests/singular/).
TRANSLATOR = WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True))
