"""BG/NBD and Gamma-Gamma: parameters are recovered from data simulated with known parameters,
the optimum is at least as good as the `lifetimes` package's on the same data, the conditional
predictions agree with `lifetimes`, and thin data give a reason instead of numbers.

Tolerances: with 5,000 customers the purchase-rate and dropout parameters are each estimated
with a few per cent of sampling error, but r/alpha and a/b trade off against each other along a
ridge of the likelihood; the population summaries (mean purchase rate r/alpha, mean dropout
probability a/(a+b), mean spend p*gamma/(q-1)) are what the predictions use and are pinned
tightly (10-15 %), the individual parameters loosely (20-40 %)."""

from __future__ import annotations

import numpy as np
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter

from orchestration.predictions import clv

BGNBD_SETS = [
    {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43},  # CDNOW (Fader, Hardie and Lee 2005)
    {"r": 0.9, "alpha": 50.0, "a": 0.7, "b": 4.0},  # the simulator's buyers
    {"r": 2.0, "alpha": 20.0, "a": 1.5, "b": 6.0},  # frequent, loyal buyers
]
GAMMA_GAMMA_SETS = [
    {"p": 6.25, "q": 3.74, "gamma": 15.44},  # CDNOW
    {"p": 2.0, "q": 5.0, "gamma": 400.0},  # large baskets
]


def relative_error(estimate: float, truth: float) -> float:
    return abs(estimate - truth) / truth


@pytest.fixture(scope="module", params=range(len(BGNBD_SETS)), ids=["cdnow", "simulator", "loyal"])
def bgnbd_case(request: pytest.FixtureRequest) -> tuple[dict[str, float], np.ndarray, np.ndarray, np.ndarray]:
    truth = BGNBD_SETS[request.param]
    rng = np.random.default_rng(100 + request.param)
    T = rng.integers(30, 366, 5000).astype(float)
    x, t_x = clv.simulate_bgnbd(truth, T, rng)
    return truth, x, t_x, T


def test_bgnbd_recovers_known_parameters(bgnbd_case) -> None:
    truth, x, t_x, T = bgnbd_case
    fit = clv.fit_bgnbd(x, t_x, T)
    assert fit.converged, fit.message
    got = fit.params
    assert fit.distinct_rows < len(x)
    assert relative_error(got["r"] / got["alpha"], truth["r"] / truth["alpha"]) < 0.10
    assert relative_error(got["a"] / (got["a"] + got["b"]), truth["a"] / (truth["a"] + truth["b"])) < 0.15
    assert relative_error(got["r"], truth["r"]) < 0.20
    assert relative_error(got["alpha"], truth["alpha"]) < 0.25
    assert relative_error(got["a"], truth["a"]) < 0.40
    assert relative_error(got["b"], truth["b"]) < 0.40


def test_bgnbd_optimum_is_at_least_as_good_as_lifetimes(bgnbd_case) -> None:
    _, x, t_x, T = bgnbd_case
    ours = clv.fit_bgnbd(x, t_x, T)
    theirs = BetaGeoFitter().fit(x, t_x, T).params_
    their_params = np.array([theirs["r"], theirs["alpha"], theirs["a"], theirs["b"]])
    their_ll = float(np.sum(clv.bgnbd_log_likelihood(their_params, x, t_x, T)))
    assert ours.log_likelihood >= their_ll - 1e-6 * abs(their_ll)


def test_predictions_agree_with_lifetimes(bgnbd_case) -> None:
    _, x, t_x, T = bgnbd_case
    fitter = BetaGeoFitter().fit(x, t_x, T)
    params = {k: float(fitter.params_[k]) for k in clv.BGNBD_PARAMS}
    np.testing.assert_allclose(
        clv.p_alive(params, x, t_x, T), fitter.conditional_probability_alive(x, t_x, T), rtol=1e-6
    )
    np.testing.assert_allclose(
        clv.expected_purchases(params, 90.0, x, t_x, T),
        fitter.conditional_expected_number_of_purchases_up_to_time(90.0, x, t_x, T),
        rtol=1e-6,
    )


@pytest.mark.parametrize("truth", GAMMA_GAMMA_SETS, ids=["cdnow", "large_baskets"])
def test_gamma_gamma_recovers_known_parameters(truth: dict[str, float]) -> None:
    rng = np.random.default_rng(7)
    x = rng.integers(1, 12, 5000).astype(float)
    m = clv.simulate_gamma_gamma(truth, x, rng)
    fit = clv.fit_gamma_gamma(x, m)
    assert fit.converged, fit.message
    got = fit.params
    mean = truth["p"] * truth["gamma"] / (truth["q"] - 1)
    assert relative_error(got["p"] * got["gamma"] / (got["q"] - 1), mean) < 0.10
    assert relative_error(got["q"], truth["q"]) < 0.20
    assert relative_error(got["p"], truth["p"]) < 0.35
    assert relative_error(got["gamma"], truth["gamma"]) < 0.35
    gg = GammaGammaFitter().fit(x, m)
    np.testing.assert_allclose(
        clv.expected_average_spend(got, x, m),
        gg.conditional_expected_average_profit(x, m),
        rtol=1e-3,
    )


def test_thin_data_give_a_reason_not_numbers() -> None:
    x, t_x, T = np.array([0.0, 1.0, 0.0]), np.array([0.0, 5.0, 0.0]), np.array([10.0, 20.0, 30.0])
    fit = clv.fit_bgnbd(x, t_x, T)
    assert not fit.usable and fit.params == {} and "too few" in fit.message
    no_repeat = clv.fit_bgnbd(np.zeros(500), np.zeros(500), np.full(500, 100.0))
    assert not no_repeat.usable and "repeat" in no_repeat.message
    spend = clv.fit_gamma_gamma(np.array([1.0, 2.0]), np.array([10.0, 20.0]))
    assert not spend.usable and "too few" in spend.message
