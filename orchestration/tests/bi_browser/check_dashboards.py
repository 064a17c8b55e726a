"""`make test-bi`: the dashboards of bi/dashboards/ render in Superset with data (issue 28, item 4).

Not part of `make test` (its name is not test_*.py, so pytest collects it only when named): it needs
.venv-bi (Superset, Playwright), Debian's Chromium and a published serving copy, and takes minutes.
It starts `make bi`'s server (python -m bi.serve) on a free port, logs in headless as the admin of
bi/superset_home, opens every dashboard, checks that every chart the dashboard's YAML lists rendered
(a chart canvas, table rows or a big number) and that no chart shows an error or "No results",
writes a screenshot per dashboard to docs/screenshots/bi/, and stops the server. It also checks,
through Superset's REST API, that the dataset of dim_persons carries the dbt descriptions of the
table and of every column (bi/bundle.py copies them from the serving copy's comments).

run: .venv-bi/bin/python -m pytest --noconftest orchestration/tests/bi_browser/check_dashboards.py
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

PROJECT_DIR = Path(__file__).resolve().parents[3]
ASSETS = PROJECT_DIR / "bi" / "dashboards"
SCREENSHOTS = PROJECT_DIR / "docs" / "screenshots" / "bi"
HOME = Path(os.environ.get("BI_SUPERSET_HOME", PROJECT_DIR / "bi" / "superset_home"))
START_TIMEOUT = 600  # the first run sets up Superset's metadata database
CHART_TIMEOUT_MS = 180_000
ANIMATION_MS = 2_000
ERROR_SELECTORS = '[role="alert"], .ant-alert-error, .alert-danger, [data-test="error-tooltip"]'
ERROR_TEXTS = ("No results", "Unexpected error", "error occurred", "Error:", "could not be loaded")


def dashboards() -> dict[str, dict]:
    return {
        content["slug"]: content
        for content in (yaml.safe_load(path.read_text()) for path in sorted((ASSETS / "dashboards").glob("*.yaml")))
    }


def chart_names(dashboard: dict) -> list[str]:
    return sorted(
        item["meta"]["sliceName"]
        for item in dashboard["position"].values()
        if isinstance(item, dict) and item.get("type") == "CHART"
    )


def screenshot(page: Page, path: Path) -> None:
    """A full-page PNG, reduced to a 128-colour palette to stay small in git."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(page.screenshot(full_page=True)))
    image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def squash(text: str | None) -> str:
    return " ".join((text or "").split())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("bi") / "serve.log"
    env = {**os.environ, "BI_PORT": str(port)}
    with log.open("w") as out:
        # Its own session, so the whole server (gunicorn and its worker) is stopped by this process id.
        process = subprocess.Popen(
            [sys.executable, "-m", "bi.serve"], cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"`python -m bi.serve` ended (exit {process.returncode}):\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"Superset did not answer on {base} within {START_TIMEOUT} s:\n{log.read_text()[-3000:]}")
            time.sleep(2)
        yield base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is missing: `make test-bi` installs it (apt-get install chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page(server: str, browser: Browser) -> Iterator[Page]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server}/login/")
    page.fill("#username", "admin")
    page.fill("#password", (HOME / "admin_password").read_text().strip())
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url, timeout=60_000)
    yield page
    page.close()


# What each chart on the page shows: its name, whether it is still loading, what it rendered and any error.
CHARTS_ON_PAGE = """() => Array.from(document.querySelectorAll('[data-test="chart-grid-component"]')).map(chart => ({
    name: chart.getAttribute('data-test-chart-name'),
    loading: chart.querySelectorAll('.loading, [data-test="loading-indicator"]').length > 0,
    canvases: chart.querySelectorAll('[data-test="slice-container"] canvas').length,
    rows: chart.querySelectorAll('[data-test="slice-container"] tbody tr').length,
    bigNumber: (chart.querySelector('.header-line') || {}).innerText || '',
    errors: Array.from(chart.querySelectorAll('ERRORS')).map(e => e.innerText.slice(0, 200)),
    text: chart.innerText.slice(0, 500),
}))""".replace("ERRORS", ERROR_SELECTORS)


@pytest.mark.parametrize("slug", sorted(dashboards()))
def test_every_chart_renders_with_data(page: Page, server: str, slug: str) -> None:
    expected = chart_names(dashboards()[slug])
    page.goto(f"{server}/superset/dashboard/{slug}/")
    # Wait until every chart of the YAML is on the page and has either rendered or failed.
    page.wait_for_function(
        f"""count => {{
            const charts = ({CHARTS_ON_PAGE})();
            return charts.length === count && charts.every(c => !c.loading
                && (c.canvases > 0 || c.rows > 0 || c.bigNumber.trim() !== '' || c.errors.length > 0
                    || c.text.includes('No results')));
        }}""",
        arg=len(expected),
        timeout=CHART_TIMEOUT_MS,
    )
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(ANIMATION_MS)  # the charts' entry animation, so the screenshot shows whole bars
    charts = page.evaluate(CHARTS_ON_PAGE)
    screenshot(page, SCREENSHOTS / f"{slug}.png")
    assert sorted(chart["name"] for chart in charts) == expected
    problems = []
    for chart in charts:
        shown = chart["canvases"] > 0 or chart["rows"] > 0 or chart["bigNumber"].strip() != ""
        failed = chart["errors"] or [text for text in ERROR_TEXTS if text in chart["text"]]
        if failed or not shown:
            problems.append(f"{chart['name']}: {failed or 'nothing rendered'}")
    assert problems == [], f"dashboard {slug}: " + "; ".join(problems)


def test_dim_persons_dataset_shows_the_dbt_descriptions(page: Page, server: str) -> None:
    """The dataset view's description and column descriptions are dbt's (through DuckDB comments)."""
    manifest = json.loads((PROJECT_DIR / "target" / "manifest.json").read_text())
    model = next(
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["name"] == "dim_persons"
    )
    query = "(filters:!((col:table_name,opr:eq,value:dim_persons)))"
    found = page.request.get(f"{server}/api/v1/dataset/?q={query}").json()
    assert found["count"] == 1, found
    dataset = page.request.get(f"{server}/api/v1/dataset/{found['result'][0]['id']}").json()["result"]
    assert squash(model["description"]) and squash(dataset["description"]).startswith(squash(model["description"]))
    columns = {column["column_name"]: column["description"] for column in dataset["columns"]}
    for name, spec in model["columns"].items():
        assert squash(columns.get(name)).startswith(squash(spec["description"])), name
