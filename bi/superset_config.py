"""Superset's configuration for `make bi` (SUPERSET_CONFIG_PATH points here; docs/bi.md).

Everything Superset keeps lives in SUPERSET_HOME (bi/superset_home/, git-ignored, marked as the
project's): the SQLite metadata database and the secret key `make bi` generated (file mode 0600,
never printed). The serving copy is registered read-only by the dashboards' import bundle
(bi/bundle.py); connections Superset considers unsafe (SQLite and the like) stay refused.
"""

from __future__ import annotations

import os
from pathlib import Path

SUPERSET_HOME = Path(os.environ.get("SUPERSET_HOME", Path(__file__).resolve().parent / "superset_home"))
SECRET_KEY_FILE = SUPERSET_HOME / "secret_key"

if not SECRET_KEY_FILE.is_file():
    raise RuntimeError(f"{SECRET_KEY_FILE} is missing: run `make bi`, which generates it (it is kept out of git).")
SECRET_KEY = SECRET_KEY_FILE.read_text().strip()

SQLALCHEMY_DATABASE_URI = f"sqlite:///{SUPERSET_HOME / 'superset.db'}?check_same_thread=false"
DATA_DIR = str(SUPERSET_HOME)

# Refuse SQLite and other local-file dialects as data sources (Superset's default, kept explicit).
PREVENT_UNSAFE_DB_CONNECTIONS = True
# A local tool: no example data, no telemetry, no uploads into the warehouse.
SUPERSET_LOAD_EXAMPLES = False
SCARF_ANALYTICS = False
# Served on 127.0.0.1 only (bi/serve.py); CSRF stays on for the browser.
WTF_CSRF_ENABLED = True
TALISMAN_ENABLED = False
# Each query opens the serving file anew (Superset's NullPool), so a new `make publish` is seen at once.
SQLLAB_TIMEOUT = 60
SUPERSET_WEBSERVER_TIMEOUT = 120
ROW_LIMIT = 50000
FEATURE_FLAGS = {"DASHBOARD_RBAC": False, "ENABLE_TEMPLATE_PROCESSING": False}
