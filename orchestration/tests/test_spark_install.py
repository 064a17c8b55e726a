"""`make test-spark` installs pyspark into the project's venv, and Great Expectations then imports
pyspark's connect module. Its dependency check ends the process (status 0, one line on stderr)
when connect's own dependencies are missing and the process's __main__ has no file, as in a
pytest-xdist worker: `make test` after `make test-spark` in one checkout lost every GX test. The
`spark` extra installs `pyspark[connect]`, so the check passes."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Needs the spark extra: `make test-spark`.
pytestmark = pytest.mark.spark


def test_great_expectations_imports_beside_pyspark_in_a_process_without_a_main_file() -> None:
    # `python -c` runs a __main__ without __file__, as a pytest-xdist worker does.
    code = (
        "import pyspark.sql.connect.utils as connect; connect.check_dependencies();"
        " import great_expectations; print('imported')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0 and "imported" in result.stdout, result.stderr[-2000:]
