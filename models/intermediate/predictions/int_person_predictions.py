"""One row per person: P(alive), churn probability, expected purchases in the horizon, expected
average spend and discounted CLV from the fitted BG/NBD and Gamma-Gamma models, or nulls with a
reason (no purchase yet, model not converged, or a CLV that is not a finite number)."""

import numpy as np
import pandas as pd

from orchestration.predictions import clv


def to_pandas(relation):
    """A `dbt.ref()` result as a pandas frame: a Spark DataFrame on Spark, a DuckDB relation on DuckDB."""
    return relation.toPandas() if hasattr(relation, "toPandas") else relation.df()


def model(dbt, session):
    dbt.config(materialized="table")
    horizon_days = float(dbt.config.get("horizon_days"))
    clv_months = int(dbt.config.get("clv_months"))
    discount = float(dbt.config.get("monthly_discount_rate"))

    # Two statements: dbt's parser misses a dbt.ref() inside `f(...)[...].method()`.
    assigned = to_pandas(dbt.ref("int_identity_persons_assigned"))
    persons = assigned[["one_id"]].drop_duplicates()
    summary = to_pandas(dbt.ref("int_clv_person_summary"))
    fits = to_pandas(dbt.ref("int_clv_fits")).set_index("model_name")
    as_of = to_pandas(dbt.ref("int_as_of_date"))["as_of_date"].iloc[0]

    def params(model_name, names):
        if model_name not in fits.index or not bool(fits.loc[model_name, "is_converged"]):
            return None
        return {name: float(fits.loc[model_name, f"param_{name}"]) for name in names}

    bgnbd = params("bgnbd", clv.BGNBD_PARAMS)
    gamma_gamma = params("gamma_gamma", clv.GAMMA_GAMMA_PARAMS)
    x, t_x, T, m = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "age", "monetary"))

    out = pd.DataFrame({"one_id": summary["one_id"]})
    if bgnbd is not None:
        out["p_alive"] = clv.p_alive(bgnbd, x, t_x, T)
        out["expected_purchases"] = clv.expected_purchases(bgnbd, horizon_days, x, t_x, T)
    else:
        out["p_alive"] = np.nan
        out["expected_purchases"] = np.nan
    spend = clv.expected_average_spend(gamma_gamma, x, m) if gamma_gamma is not None else np.full(len(x), np.nan)
    out["expected_average_spend"] = spend
    if bgnbd is not None and gamma_gamma is not None:
        out["clv"] = clv.customer_lifetime_value(bgnbd, spend, x, t_x, T, clv_months, discount)
    else:
        out["clv"] = np.nan
    # Whatever the fits gave, a value that is not a finite number is null, with the reason.
    for column in ("p_alive", "expected_purchases", "expected_average_spend", "clv"):
        out[column] = out[column].where(np.isfinite(out[column].to_numpy(dtype=float)))
    out["prediction_status"] = np.select(
        [np.full(len(out), bgnbd is None), np.full(len(out), gamma_gamma is None), out["clv"].isna().to_numpy()],
        ["bgnbd_not_converged", "gamma_gamma_not_converged", "clv_not_finite"],
        "predicted",
    )

    frame = persons.merge(out, on="one_id", how="left")
    frame["prediction_status"] = frame["prediction_status"].fillna("no_paid_order")
    frame["as_of_date"] = as_of
    frame["horizon_days"] = int(horizon_days)
    for column in ("p_alive", "expected_purchases", "expected_average_spend", "clv"):
        frame[column] = frame[column].astype("float64")
    return frame
