"""`make validate`: every Great Expectations suite against the current build, a summary, and
Data Docs in quality_docs/gx/uncommitted/data_docs/local_site/index.html. Exits 1 when a critical
expectation fails.

usage: python -m orchestration.quality.validate [--no-docs]
"""

from __future__ import annotations

import argparse
import sys

from orchestration import dagster_report, settings
from orchestration.quality.core import validate
from orchestration.quality.suites import SUBJECTS

DOCS_ROOT = settings.PROJECT_DIR / "quality_docs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-docs", action="store_true", help="validate only, no Data Docs")
    args = parser.parse_args(argv)
    database = settings.duckdb_path()
    if not database.exists():
        raise SystemExit(f"{database} does not exist: run `make build` (or `make demo`) first")
    outcomes = validate(SUBJECTS, database, None if args.no_docs else DOCS_ROOT)
    print(f"{'suite':34} {'rows':>8} {'checked':>8}  result")
    for o in outcomes:
        status = "ok" if o.passed and not o.failed_warning else ("WARN " if o.passed else "FAIL ")
        detail = "; ".join([*(f"critical {f}" for f in o.failed_critical), *(f"warning {f}" for f in o.failed_warning)])
        print(f"{o.subject:34} {o.rows:>8,} {o.evaluated:>8}  {status}{detail}")
    # The suites' results shown on their gx_ checks in `make ui` (as `make build` does for dbt).
    reported = dagster_report.report_quality(outcomes)
    print(f"Reported {reported} suite results to the Dagster instance (their gx_ checks in `make ui`).")
    if not args.no_docs:
        print(f"Data Docs: {DOCS_ROOT / 'gx/uncommitted/data_docs/local_site/index.html'}")
    return 0 if all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
