"""BG/NBD and Gamma-Gamma by maximum likelihood, in log space, on grouped histories.

Notation (Fader, Hardie and Lee 2005, "Counting your customers the easy way"): for a customer
whose first purchase was T days before the end of the observation, x is the number of repeat
purchases (purchase days after the first), t_x the day of the last one counted from the first
(0 when x = 0). BG/NBD: purchase rate lambda ~ Gamma(r, alpha), dropout after each purchase with
probability p ~ Beta(a, b). Gamma-Gamma (Fader, Hardie and Lee 2005b): the average value m_x of x
repeat purchases, transaction values ~ Gamma(p, nu), nu ~ Gamma(q, gamma).

Identical histories are grouped and weighted, so a fit costs the number of distinct
(x, t_x, T) rows, not the number of customers. Parameters are optimised as logs (always
positive) with L-BFGS-B from several starting points; the best converged optimum wins.

Gamma-Gamma is fragile to extreme spend: one customer averaging 99,999,999 drives q below 1,
where the population mean spend p * gamma / (q - 1) is infinite, and the optimiser still says it
converged. Hence two rules, both here:
- The outlier rule (`OutlierRule`): a repeat buyer whose average value m is above `factor` times
  the `quantile` of m over the repeat buyers (and, when `cap` is set, above `cap`, whichever is
  lower) is left out of the FIT only; it still gets a prediction from the fitted model (its own
  m in the conditional expectation). The Fit says which rule was applied and how many it touched.
- A fit whose parameters give a non-finite expected spend, for the population or for any
  customer it was given, is reported as not converged, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

BGNBD_PARAMS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMS = ("p", "q", "gamma")


@dataclass(frozen=True)
class Fit:
    """A fitted model: parameters by name, log-likelihood, sample sizes and how the optimiser ended."""

    model: str
    params: dict[str, float] = field(default_factory=dict)
    log_likelihood: float | None = None
    sample_size: int = 0
    distinct_rows: int = 0
    converged: bool = False
    message: str = ""
    outlier_rule: str = ""
    outlier_count: int = 0

    @property
    def usable(self) -> bool:
        return self.converged and bool(self.params)


@dataclass(frozen=True)
class OutlierRule:
    """Customers whose average value is above min(factor x the quantile of the average values,
    cap) are left out of the Gamma-Gamma fit (module docstring)."""

    quantile: float = 0.95
    factor: float = 10.0
    cap: float | None = None

    def threshold(self, m: np.ndarray) -> float:
        limit = self.factor * float(np.quantile(m, self.quantile)) if len(m) else np.inf
        return min(limit, self.cap) if self.cap is not None else limit

    def describe(self, threshold: float) -> str:
        cap = f", capped at {self.cap:g}" if self.cap is not None else ""
        return (
            f"average value above {self.factor:g} x its {self.quantile:g} quantile{cap}"
            f" ({threshold:.2f}) left out of the fit"
        )


def group_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows of the given columns and how many times each occurs."""
    stacked = np.column_stack([np.asarray(c, dtype=float) for c in columns])
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return [unique[:, i] for i in range(unique.shape[1])], counts.astype(float)


def bgnbd_log_likelihood(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Per-row BG/NBD log-likelihood (equation 6 of Fader, Hardie and Lee 2005, in log space)."""
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a3 = np.where(
            x > 0,
            betaln(a + 1, np.maximum(b + x - 1, 1e-12)) - betaln(a, b) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return a1 + np.logaddexp(a2, a3)


def gamma_gamma_log_likelihood(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Per-row Gamma-Gamma log-likelihood of the average value m of x transactions."""
    p, q, gamma = params
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m * x)
    )


def _fit(model: str, names: tuple[str, ...], negll, starts: list[np.ndarray], n: int, distinct: int) -> Fit:
    best = None
    for start in starts:
        if best is not None and best.converged:
            break  # further starting points only when the first did not converge
        try:
            result = minimize(
                negll,
                np.log(start),
                method="L-BFGS-B",
                bounds=[(-12.0, 12.0)] * len(start),
                options={"maxiter": 2000},
            )
        except (FloatingPointError, ValueError) as error:  # pragma: no cover - defensive
            if best is None:
                best = Fit(model, sample_size=n, distinct_rows=distinct, message=f"optimiser error: {error}")
            continue
        if not np.isfinite(result.fun):
            continue
        if best is None or best.log_likelihood is None or -result.fun > best.log_likelihood:
            at_bound = np.any(np.abs(result.x) >= 12.0 - 1e-6)
            converged = bool(result.success) and not at_bound
            message = str(result.message) if not at_bound else "a parameter ran to its bound (data too thin?)"
            best = Fit(
                model,
                params=dict(zip(names, map(float, np.exp(result.x)), strict=True)),
                log_likelihood=float(-result.fun),
                sample_size=n,
                distinct_rows=distinct,
                converged=converged,
                message=message,
            )
    return best or Fit(model, sample_size=n, distinct_rows=distinct, message="no finite likelihood")


def fit_bgnbd(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, min_customers: int = 50) -> Fit:
    """Fit BG/NBD; too few customers or no repeat buyer give an unusable Fit with the reason."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    n = len(x)
    if n < min_customers or not np.any(x > 0):
        reason = (
            f"{n} customers, {int(np.sum(x > 0))} repeat buyers: too few to fit (need {min_customers} and one repeat)"
        )
        return Fit("bgnbd", sample_size=n, message=reason)
    (gx, gt, gT), w = group_rows(x, t_x, T)
    total = w.sum()

    def negll(log_params: np.ndarray) -> float:
        value = -np.sum(w * bgnbd_log_likelihood(np.exp(log_params), gx, gt, gT)) / total
        return float(value) if np.isfinite(value) else 1e12

    rate = max(float(np.sum(x) / np.sum(T)), 1e-4)
    starts = [
        np.array([1.0, 1.0 / rate, 1.0, 3.0]),
        np.array([0.5, 0.5 / rate, 0.5, 1.0]),
        np.array([2.0, 2.0 / rate, 2.0, 8.0]),
    ]
    fit = _fit("bgnbd", BGNBD_PARAMS, negll, starts, n, len(w))
    if fit.log_likelihood is not None:
        fit = Fit(**{**fit.__dict__, "log_likelihood": fit.log_likelihood * total})
    return fit


def fit_gamma_gamma(
    x: np.ndarray, m: np.ndarray, min_customers: int = 50, outlier_rule: OutlierRule | None = OutlierRule()
) -> Fit:
    """Fit Gamma-Gamma on repeat buyers (x > 0) with a positive average value, less the outliers
    of `outlier_rule` (None: no rule); not converged when its predictions are not finite."""
    x_all, m_all = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    keep = (x_all > 0) & (m_all > 0)
    rule, outliers = "", 0
    if outlier_rule is not None:
        threshold = outlier_rule.threshold(m_all[keep])
        outlier = keep & (m_all > threshold)
        rule, outliers = outlier_rule.describe(threshold), int(outlier.sum())
        keep &= ~outlier
    x, m = x_all[keep], m_all[keep]
    n = len(x)
    if n < min_customers:
        return Fit(
            "gamma_gamma",
            sample_size=n,
            message=f"{n} repeat buyers with spend: too few to fit (need {min_customers})",
            outlier_rule=rule,
            outlier_count=outliers,
        )
    (gx, gm), w = group_rows(x, m)
    total = w.sum()

    def negll(log_params: np.ndarray) -> float:
        value = -np.sum(w * gamma_gamma_log_likelihood(np.exp(log_params), gx, gm)) / total
        return float(value) if np.isfinite(value) else 1e12

    mean = float(np.mean(m))
    starts = [np.array([2.0, 3.0, 2.0 * mean]), np.array([1.0, 2.0, mean]), np.array([6.0, 4.0, 3.0 * mean])]
    fit = _fit("gamma_gamma", GAMMA_GAMMA_PARAMS, negll, starts, n, len(w))
    changes: dict[str, object] = {"outlier_rule": rule, "outlier_count": outliers}
    if fit.log_likelihood is not None:
        changes["log_likelihood"] = fit.log_likelihood * total
    if fit.converged:
        # Every customer it was given (outliers included) and the population (x = 0).
        spend = expected_average_spend(fit.params, np.append(x_all, 0.0), np.append(m_all, 0.0))
        if not np.all(np.isfinite(spend)):
            changes["converged"] = False
            changes["message"] = (
                f"converged ({fit.message}) to parameters whose expected spend is not finite"
                f" (q = {fit.params['q']:.3g}; q <= 1 means an infinite mean spend): extreme spend?"
            )
    return Fit(**{**fit.__dict__, **changes})


def p_alive(params: dict[str, float], x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(the customer has not dropped out by the end of the observation)."""
    r, alpha, a, b = (params[k] for k in BGNBD_PARAMS)
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_odds = (
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        )
    return np.where(x > 0, 1.0 / (1.0 + np.exp(log_odds)), 1.0)


def expected_purchases(params: dict[str, float], t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E[purchases in the next t days | history] (equation 10 of Fader, Hardie and Lee 2005)."""
    r, alpha, a, b = (params[k] for k in BGNBD_PARAMS)
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    if abs(a - 1) < 1e-9:  # the closed form divides by a - 1
        return np.full_like(x, np.nan)
    z = t / (alpha + T + t)
    first = (a + b + x - 1) / (a - 1)
    second = 1 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp2f1(r + x, b + x, a + b + x - 1, z)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        odds = np.where(
            x > 0,
            np.exp(
                np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
            ),
            0.0,
        )
    return first * second / (1 + odds)


def expected_average_spend(params: dict[str, float], x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """E[average transaction value | x repeat purchases averaging m]; the population mean for x = 0."""
    p, q, gamma = (params[k] for k in GAMMA_GAMMA_PARAMS)
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    population = p * gamma / (q - 1) if q > 1 else np.nan
    with np.errstate(invalid="ignore"):
        conditional = p * (gamma + x * m) / (p * x + q - 1)
    return np.where((x > 0) & (m > 0), conditional, population)


def customer_lifetime_value(
    bgnbd: dict[str, float],
    spend: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
) -> np.ndarray:
    """Discounted value of the expected purchases of the next `months` 30-day months."""
    value = np.zeros(len(np.asarray(x)), dtype=float)
    previous = np.zeros_like(value)
    for month in range(1, months + 1):
        cumulative = expected_purchases(bgnbd, 30.0 * month, x, t_x, T)
        value += (cumulative - previous) * spend / (1 + monthly_discount_rate) ** month
        previous = cumulative
    return value


def simulate_bgnbd(params: dict[str, float], T: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(x, t_x) of customers observed for T days after their first purchase, drawn from BG/NBD."""
    r, alpha, a, b = (params[k] for k in BGNBD_PARAMS)
    n = len(T)
    rates = rng.gamma(r, 1.0 / alpha, n)
    dropouts = rng.beta(a, b, n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1.0 / rates[i])
            if t > T[i]:
                break
            x[i] += 1
            t_x[i] = t
            if rng.random() < dropouts[i]:  # drops out right after a repeat purchase
                break
    return x, t_x


def simulate_gamma_gamma(params: dict[str, float], x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Average value of each customer's x transactions, drawn from Gamma-Gamma."""
    p, q, gamma = (params[k] for k in GAMMA_GAMMA_PARAMS)
    nu = rng.gamma(q, 1.0 / gamma, len(x))
    return np.array([rng.gamma(p, 1.0 / v, int(k)).mean() if k > 0 else 0.0 for k, v in zip(x, nu, strict=True)])
