"""One row per customer-base model (bgnbd, gamma_gamma) fitted for this run: parameters,
log-likelihood, sample size, distinct histories, whether it converged (with the optimiser's
message, or why it was not fitted), and the outlier rule the Gamma-Gamma fit applied with how many
customers it left out (orchestration/predictions/clv.py). A model that did not converge leaves
its predictions null; the run goes on."""

import pandas as pd

from orchestration.predictions import clv


def to_pandas(relation):
    """A `dbt.ref()` result as a pandas frame: a Spark DataFrame on Spark, a DuckDB relation on DuckDB."""
    return relation.toPandas() if hasattr(relation, "toPandas") else relation.df()


def model(dbt, session):
    dbt.config(materialized="table")
    min_customers = int(dbt.config.get("min_customers"))
    cap = dbt.config.get("outlier_cap")
    outlier_rule = clv.OutlierRule(
        quantile=float(dbt.config.get("outlier_quantile")),
        factor=float(dbt.config.get("outlier_factor")),
        cap=float(cap) if cap not in (None, "", "None") else None,
    )
    # Sorted, so that the optimiser sums the likelihood in the same order however the table was
    # built (a full build and an incremental one give the same fit to the last digit).
    summary = to_pandas(dbt.ref("int_clv_person_summary")).sort_values("one_id", kind="stable", ignore_index=True)
    as_of = to_pandas(dbt.ref("int_as_of_date"))["as_of_date"].iloc[0]

    fits = [
        clv.fit_bgnbd(summary["frequency"], summary["recency"], summary["age"], min_customers=min_customers),
        clv.fit_gamma_gamma(
            summary["frequency"], summary["monetary"], min_customers=min_customers, outlier_rule=outlier_rule
        ),
    ]
    rows = []
    for fit in fits:
        rows.append(
            {
                "model_name": fit.model,
                "as_of_date": as_of,
                "sample_size": fit.sample_size,
                "distinct_rows": fit.distinct_rows,
                "log_likelihood": fit.log_likelihood,
                "is_converged": fit.converged,
                "message": fit.message,
                "outlier_rule": fit.outlier_rule or None,
                "outlier_count": fit.outlier_count,
                **{f"param_{name}": fit.params.get(name) for name in clv.BGNBD_PARAMS + clv.GAMMA_GAMMA_PARAMS},
            }
        )
        print(
            f"[clv] {fit.model}: converged={fit.converged} n={fit.sample_size} params={fit.params}"
            f" ({fit.message}; outliers left out: {fit.outlier_count})"
        )
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if column.startswith("param_") or column == "log_likelihood":
            frame[column] = frame[column].astype("float64")
    return frame
