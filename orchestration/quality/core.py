"""What every suite shares: a subject reads its batch with a short-lived read-only DuckDB
connection (GX's SQL data sources do not work on DuckDB, STACK_NOTES 5) into a small dataframe,
usually an aggregate or the latest partition, never tens of millions of rows; the suite is
validated through GX's pandas route."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

CRITICAL = "critical"
WARNING = "warning"


@dataclass(frozen=True)
class Subject:
    """A batch to validate: its name, the dbt asset it guards, how to read it, its expectations."""

    name: str
    asset: str  # dbt model the Dagster check is attached to
    read: Callable[[duckdb.DuckDBPyConnection], pd.DataFrame]
    expectations: Callable[[pd.DataFrame], list]  # GX expectations, built for the batch read


@dataclass
class Outcome:
    subject: str
    asset: str
    rows: int
    failed_critical: list[str] = field(default_factory=list)
    failed_warning: list[str] = field(default_factory=list)
    evaluated: int = 0

    @property
    def passed(self) -> bool:
        return not self.failed_critical


def describe(result) -> str:
    config = result.expectation_config
    column = config.kwargs.get("column") or ",".join(config.kwargs.get("column_list", []) or [])
    return f"{config.type}({column})" if column else config.type


def validate(subjects: list[Subject], database: Path, docs_root: Path | None = None) -> list[Outcome]:
    """Validate every subject against the warehouse; with docs_root, keep the results and build
    Data Docs there (a GX file context under docs_root/gx)."""
    import great_expectations as gx  # slow to import: only when validating

    context = (
        gx.get_context(mode="file", project_root_dir=str(docs_root)) if docs_root else gx.get_context(mode="ephemeral")
    )
    context.variables.progress_bars = gx.data_context.types.base.ProgressBarsConfig(globally=False)
    source = context.data_sources.add_or_update_pandas("warehouse")
    outcomes = []
    for subject in subjects:
        with duckdb.connect(str(database), read_only=True) as con:
            frame = subject.read(con)
        suite = context.suites.add_or_update(
            gx.ExpectationSuite(name=subject.name, expectations=subject.expectations(frame))
        )
        asset = next((a for a in source.assets if a.name == subject.name), None) or source.add_dataframe_asset(
            subject.name
        )
        batch = next((b for b in asset.batch_definitions if b.name == "batch"), None) or (
            asset.add_batch_definition_whole_dataframe("batch")
        )
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=subject.name, data=batch, suite=suite)
        )
        result = definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
        outcome = Outcome(subject.name, subject.asset, len(frame), evaluated=len(result.results))
        for item in result.results:
            if not item.success:
                severity = str(getattr(item.expectation_config, "severity", CRITICAL)).lower()
                (outcome.failed_warning if WARNING in severity else outcome.failed_critical).append(describe(item))
        outcomes.append(outcome)
    if docs_root:
        context.build_data_docs()
    return outcomes
