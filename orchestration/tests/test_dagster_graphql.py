"""Acceptance of `make demo` reporting to Dagster (issue 28 item 5): after a dbt build and the Great
Expectations suites reported through orchestration.dagster_report into a fresh DAGSTER_HOME, the
Dagster web server, asked through its GraphQL API exactly as the UI asks, shows every dbt asset
materialized and every check of them evaluated (passed or failed; none "not evaluated"): each dbt
test, the multi-parent singular tests such as the raw-line reconciliation among them, and each
Great Expectations suite."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from orchestration import dagster_report
from orchestration.quality.core import validate
from orchestration.quality.suites import SUBJECTS
from orchestration.settings import PROJECT_DIR
from orchestration.tests.tiny_build import TinyBuild

WEBSERVER = Path(sys.executable).parent / "dagster-webserver"
# The op of @dbt_assets (orchestration/definitions.py): every dbt seed, model and snapshot, and
# every dbt test as a check of one of them (or of a dbt source).
DBT_OP = "warehouse_dbt_assets"
QUERY = """
{
  assetNodes {
    assetKey { path }
    opNames
    isMaterializable
    assetMaterializations(limit: 1) { timestamp }
    assetChecksOrError {
      __typename
      ... on AssetChecks {
        checks {
          name
          jobNames
          additionalAssetKeys { path }
          executionForLatestMaterialization { status }
        }
      }
    }
  }
}
"""
EVALUATED = {"SUCCEEDED", "FAILED"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    answer = json.loads(urllib.request.urlopen(request, timeout=60).read())
    assert not answer.get("errors"), answer["errors"]
    return answer["data"]


@contextlib.contextmanager
def webserver(home: Path):
    """dagster-webserver on a free 127.0.0.1 port over the instance in `home`; yields a function
    that waits until the code location has loaded and returns the port. The whole process group
    is stopped afterwards."""
    port = free_port()
    log = (home / "webserver.log").open("w")
    process = subprocess.Popen(
        [str(WEBSERVER), "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_DIR,
        env={**os.environ, "DAGSTER_HOME": str(home)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so the code server goes with it
    )

    def loaded() -> int:
        deadline = time.time() + 90
        while True:
            assert process.poll() is None, (home / "webserver.log").read_text()[-3000:]
            assert time.time() < deadline, "dagster-webserver did not load the code location within 90 s"
            with contextlib.suppress(OSError):
                if graphql(port, "{ assetNodes { id } }")["assetNodes"]:
                    return port
            time.sleep(1)

    try:
        yield loaded
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_the_ui_shows_every_dbt_asset_materialized_and_every_check_evaluated(tiny: TinyBuild, tmp_path: Path) -> None:
    target = tiny.database.parent / "target"
    run_results = json.loads((target / "run_results.json").read_text())
    assert run_results["args"]["which"] == "build", "the tiny folder's last dbt command was not its build"
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(PROJECT_DIR / "dagster_home" / "dagster.yaml", home / "dagster.yaml")  # telemetry off

    # The build first (it creates the instance's storage, before a second process opens it).
    counts = dagster_report.report(target, home)
    assert counts is not None and counts[0] > 0 and counts[1] > 0

    with webserver(home) as loaded:  # it starts while the suites run and are reported
        outcomes = validate(SUBJECTS, tiny.database)  # what `make validate` runs, without Data Docs
        assert dagster_report.report_quality(outcomes, target, home) == len(SUBJECTS)
        nodes = graphql(loaded(), QUERY)["assetNodes"]

    dbt_nodes = [node for node in nodes if DBT_OP in node["opNames"]]
    assert len(dbt_nodes) > 50
    not_materialized = sorted(
        "/".join(node["assetKey"]["path"]) for node in dbt_nodes if not node["assetMaterializations"]
    )
    assert not_materialized == [], f"dbt assets the UI shows as never materialized: {not_materialized}"

    # Every check in the code location, on whatever asset it sits (a dbt source's tests included).
    checks = []
    for node in nodes:
        assert node["assetChecksOrError"]["__typename"] == "AssetChecks", node["assetChecksOrError"]
        checks += [("/".join(node["assetKey"]["path"]), check) for check in node["assetChecksOrError"]["checks"]]
    manifest = json.loads((target / "manifest.json").read_text())
    dbt_tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    assert len(checks) == len(dbt_tests) + len(SUBJECTS), (len(checks), len(dbt_tests), len(SUBJECTS))
    not_evaluated = sorted(
        f"{asset}:{check['name']}"
        for asset, check in checks
        if (check["executionForLatestMaterialization"] or {}).get("status") not in EVALUATED
    )
    assert not_evaluated == [], f"checks the UI shows as not evaluated: {not_evaluated}"

    multi_parent = {check["name"]: asset for asset, check in checks if check["additionalAssetKeys"]}
    assert "assert_raw_lines_reconcile" in multi_parent, sorted(multi_parent)
    assert {f"gx_{s.name}" for s in SUBJECTS} <= {check["name"] for _, check in checks}
