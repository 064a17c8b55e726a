from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.tests.dbt_helpers import build_or_fail, run_dbt
from orchestration.tests.tiny_build import TinyBuild, copy_build, land_next_day, tiny_build

# An as-of date well inside the tiny tier (which runs 2025-12-01 .. 2026-03-31).
EARLY_AS_OF = "2026-01-31"


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyBuild:
    return tiny_build(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session")
def early(tiny: TinyBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny warehouse copied and rebuilt as of an earlier day (models only)."""
    work = tmp_path_factory.mktemp("early")
    (work / "warehouse.duckdb").write_bytes(tiny.database.read_bytes())
    result = run_dbt(["run", "--vars", f"{{as_of: '{EARLY_AS_OF}'}}", "-s", "int_as_of_date+"], tiny.raw, work)
    assert result.returncode == 0, result.stdout[-4000:]
    return work / "warehouse.duckdb"


@pytest.fixture(scope="session")
def pii_daily(tiny: TinyBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny build with one more day landed and built by a daily `dbt build` (the PII scan
    tests: test_pii_scan_scope, test_pii_scan_gap)."""
    work = copy_build(tiny, tmp_path_factory.mktemp("pii_daily"))
    land_next_day(work / "raw")
    build_or_fail(work / "raw", work)
    return work
