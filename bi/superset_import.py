"""Import the dashboards bundle (bi/bundle.py) into Superset, replacing the project's own objects.

`superset import-dashboards` keeps a chart, dataset or database that already exists (it overwrites
the dashboards only), so a chart changed in bi/dashboards/ would never reach Superset. This runs
Superset's own v1 import commands, each with overwrite on, inside Superset's app context: the
database, then the datasets (with their columns and descriptions), the charts, the dashboards.
Objects are matched by UUID, so only the project's are replaced; what users made in the UI is not
touched. Run by bi/serve.py with Superset's environment (SUPERSET_CONFIG_PATH, SUPERSET_HOME).

usage: python -m bi.superset_import BUNDLE.zip USERNAME
"""

from __future__ import annotations

import sys
import zipfile

import yaml

# The metadata type each import command requires of metadata.yaml, in dependency order.
STEPS = (
    ("superset.commands.database.importers.v1", "ImportDatabasesCommand", "Database"),
    ("superset.commands.dataset.importers.v1", "ImportDatasetsCommand", "SqlaTable"),
    ("superset.commands.chart.importers.v1", "ImportChartsCommand", "Slice"),
    ("superset.commands.dashboard.importers.v1", "ImportDashboardsCommand", "Dashboard"),
)


def main(argv: list[str] | None = None) -> int:
    import importlib

    from flask import g
    from superset.app import create_app

    path, username = sys.argv[1:] if argv is None else argv
    app = create_app()
    with app.app_context():
        from superset import security_manager
        from superset.commands.importers.v1.utils import get_contents_from_bundle

        g.user = security_manager.find_user(username=username)
        if g.user is None:
            print(f"user {username} does not exist in Superset: run `make bi` again", file=sys.stderr)
            return 1
        with zipfile.ZipFile(path) as bundle:
            contents = get_contents_from_bundle(bundle)
        metadata = yaml.safe_load(contents["metadata.yaml"])
        for module, command, kind in STEPS:
            typed = {**contents, "metadata.yaml": yaml.safe_dump({**metadata, "type": kind})}
            getattr(importlib.import_module(module), command)(typed, overwrite=True).run()
            print(f"imported with {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
