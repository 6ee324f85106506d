"""The purchase models as a library: one frozen parameter class per family with the same
methods, chosen by name in one registry, each recovering the parameters it simulated with."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from reportgen.models.clv.purchase import (
    FAMILIES,
    MODEL_LABELS,
    SummaryArrays,
    fit_purchase_model,
    process,
)

TRUTH = {
    "nbd": {"r": 0.8, "alpha": 6.0},
    "bgnbd": {"r": 0.8, "alpha": 6.0, "a": 0.8, "b": 2.5},
    "mbgnbd": {"r": 0.8, "alpha": 6.0, "a": 0.8, "b": 2.5},
    "paretonbd": {"r": 0.8, "alpha": 6.0, "s": 0.6, "beta": 10.0},
}


def test_one_registry_names_every_family_and_each_has_the_same_methods() -> None:
    assert set(FAMILIES) == set(MODEL_LABELS) == set(TRUTH)
    for name, family in FAMILIES.items():
        model = process(name, TRUTH[name])
        assert family.name == name and dataclasses.is_dataclass(model)
        with pytest.raises(dataclasses.FrozenInstanceError):
            model.r = 1.0  # type: ignore[misc]
        for method in ("log_likelihood", "log_likelihood_slope", "expected_purchases",
                       "p_alive", "sample"):
            assert callable(getattr(model, method)), (name, method)
        assert family.has_dropout == (name != "nbd")


@pytest.mark.parametrize("name", list(TRUTH))
def test_a_fit_recovers_the_parameters_it_simulated_with(name: str) -> None:
    """20,000 customers simulated over half a year to a year and a half (time in weeks): the
    fit's parameters within 6 % of the truth, its likelihood at least the truth's."""
    rng = np.random.default_rng(5)
    truth = process(name, TRUTH[name])
    ages = rng.uniform(26.0, 78.0, 20_000)
    frequency, recency = truth.sample(ages, rng)
    assert (recency <= ages).all() and ((frequency == 0) == (recency == 0)).all()
    data = SummaryArrays(frequency, recency, ages, np.ones_like(ages))
    if name == "nbd":  # the NBD model is what the ladder falls back to
        fit = fit_purchase_model(data, ["bgnbd"], [0.0], np.inf, True)
    else:
        fit = fit_purchase_model(data, [name], [0.0], 0.0, False)
    assert fit.model is not None and fit.model.name == name
    for key, value in TRUTH[name].items():
        assert fit.model.params[key] == pytest.approx(value, rel=0.06), key
    assert fit.model.log_likelihood >= truth.log_likelihood(data)


def test_customers_who_may_leave_after_their_first_purchase_buy_less() -> None:
    """MBG/NBD differs from BG/NBD only there: with the same parameters its customers make
    fewer repeat purchases, and P(alive) below 1 without any."""
    rng = np.random.default_rng(1)
    ages = np.full(50_000, 52.0)
    bg, mbg = (process(name, TRUTH["bgnbd"]) for name in ("bgnbd", "mbgnbd"))
    assert mbg.sample(ages, rng)[0].mean() < 0.9 * bg.sample(ages, rng)[0].mean()
    none = np.zeros(1)
    assert bg.p_alive(none, none, np.full(1, 52.0))[0] == 1.0
    assert mbg.p_alive(none, none, np.full(1, 52.0))[0] < 1.0
