"""Holdout calibration of the purchase predictions (issue 6): fit as of a cutoff, compare the
expected purchases of the next `horizon` days with what the persons then did.

usage: python -m orchestration.predictions_eval [--cutoff YYYY-MM-DD] [--horizon 90] [--html FILE]

Works on the warehouse `make demo` built (USER_ASSETS_DUCKDB_PATH, USER_ASSETS_RAW_DIR): copies it
to a temporary folder, rebuilds the models downstream of the as-of date there with
`--vars '{as_of: <cutoff>}'` (dbt fits BG/NBD and Gamma-Gamma as of the cutoff), and counts each
person's actual purchase days (UTC days with a payment whose order was not refunded or cancelled)
in the holdout (cutoff, cutoff + horizon] from the full warehouse. Prints predicted against actual
by decile of the prediction, and draws them into reports/calibration.html (orchestration/report_html.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from orchestration import report_html, safe_paths, settings
from orchestration.settings import PROJECT_DIR


def rebuild_as_of(database: Path, cutoff: dt.date, work: Path) -> Path:
    copy = work / "warehouse.duckdb"  # dbt names the database after the file stem
    shutil.copyfile(database, copy)
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "USER_ASSETS_DUCKDB_PATH": str(copy),
        "USER_ASSETS_RAW_DIR": str(settings.raw_dir()),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
    }
    dbt = str(Path(sys.executable).parent / "dbt")
    command = [dbt, "run", "--quiet", "-s", "int_as_of_date+", "--vars", f"{{as_of: '{cutoff}'}}"]
    done = subprocess.run(command, cwd=PROJECT_DIR, env=env, text=True, capture_output=True)
    if done.returncode != 0:
        raise SystemExit(f"dbt run as of {cutoff} failed:\n{done.stdout[-4000:]}")
    return copy


def calibration(database: Path, cutoff: dt.date | None, horizon: int) -> tuple[pd.DataFrame, dict]:
    with duckdb.connect(str(database), read_only=True) as con:
        (as_of,) = con.execute("select as_of_date from intermediate.int_as_of_date").fetchone()
        cutoff = cutoff or as_of - dt.timedelta(days=horizon)
        if cutoff + dt.timedelta(days=horizon) > as_of:
            raise SystemExit(f"cutoff {cutoff} + {horizon} days runs past the data's as-of date {as_of}")
        actual = con.execute(
            "select one_id, count(distinct cast(paid_at as date)) as actual_purchases"
            " from intermediate.int_orders_resolved_to_persons"
            " where one_id is not null and is_net and paid_at >= ? and paid_at < ? group by 1",
            [cutoff + dt.timedelta(days=1), cutoff + dt.timedelta(days=horizon + 1)],
        ).df()
    with tempfile.TemporaryDirectory(prefix="uaw-calibration-") as tmp:
        past = rebuild_as_of(database, cutoff, Path(tmp))
        with duckdb.connect(str(past), read_only=True) as con:
            predicted = con.execute(
                "select one_id, expected_purchases, horizon_days from marts.fct_person_predictions"
                " where expected_purchases is not null"
            ).df()
            runs = con.execute(
                "select model_name, is_converged, sample_size, message from marts.fct_prediction_model_runs"
            ).df()
    if predicted.empty:
        raise SystemExit(f"no predictions as of {cutoff}:\n{runs.to_string(index=False)}")
    if int(predicted["horizon_days"].iloc[0]) != horizon:
        raise SystemExit("--horizon must equal var prediction_horizon_days (dbt_project.yml)")
    frame = predicted.merge(actual, on="one_id", how="left").fillna({"actual_purchases": 0})
    frame["decile"] = pd.qcut(frame["expected_purchases"].rank(method="first"), 10, labels=range(1, 11))
    table = frame.groupby("decile", observed=True).agg(
        persons=("one_id", "size"),
        predicted=("expected_purchases", "mean"),
        actual=("actual_purchases", "mean"),
    )
    summary = {
        "cutoff": str(cutoff),
        "horizon_days": horizon,
        "persons": len(frame),
        "predicted_total": float(frame["expected_purchases"].sum()),
        "actual_total": float(frame["actual_purchases"].sum()),
        "correlation": float(frame["expected_purchases"].corr(frame["actual_purchases"])),
    }
    return table, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cutoff", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--horizon", type=int, default=90)
    parser.add_argument(
        "--html", type=Path, default=report_html.REPORTS_DIR / "calibration.html", help="where the HTML report goes"
    )
    args = parser.parse_args(argv)
    database = settings.duckdb_path()
    if not database.exists():
        raise SystemExit(f"{database} does not exist: run `make demo` first (or set USER_ASSETS_DUCKDB_PATH)")
    table, summary = calibration(database, args.cutoff, args.horizon)
    print(f"holdout {summary['cutoff']} + {summary['horizon_days']} days, {summary['persons']:,} persons predicted")
    print(table.to_string(float_format=lambda v: f"{v:8.3f}"))
    ratio = summary["predicted_total"] / summary["actual_total"] if summary["actual_total"] else float("nan")
    print(
        f"total predicted {summary['predicted_total']:,.0f} vs actual {summary['actual_total']:,.0f} "
        f"(ratio {ratio:.3f}); correlation per person {summary['correlation']:.3f}"
    )
    try:
        print(f"Chart: {report_html.calibration_report(table, summary, args.html)}")
    except safe_paths.NotOurs as refused:
        print(refused, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
