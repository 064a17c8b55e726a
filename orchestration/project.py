"""The dbt project as Dagster sees it. Kept apart from the definitions so that
`dagster-dbt project prepare-and-package --file orchestration/project.py` can import it without a manifest."""

from __future__ import annotations

from dagster_dbt import DbtProject

from orchestration.settings import PROJECT_DIR

# The manifest is prepared by `dbt parse` (make ui, make test) rather than `prepare_if_dev()`,
# which looks for `dbt` on PATH and fails when the venv is not activated.
dbt_project = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR, target="dev")
