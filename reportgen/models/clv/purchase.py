"""Purchase-process models (BG/NBD and its relatives) fitted robustly, with a record of every try.

The models are fitted here by maximum likelihood (lifetimes' likelihoods, with gradients written
out in `beta_geometric` and `pareto`; lifetimes itself is only the tests' reference). On real
data the optimum often lies on
a boundary: the dropout probability goes to zero (BG/NBD's a -> 0 or b -> infinity, Pareto/NBD's
s -> 0). The optimizer then either fails (ConvergenceError) or stops somewhere along the ridge
and reports success. Neither result can be used as it is, so each fit is judged here:

- it must converge, with finite parameters inside [PARAM_MIN, PARAM_MAX];
- its dropout process must earn its keep: twice the log-likelihood gain over the NBD model
  (the same purchase process with no dropout, which every model here tends to at its
  boundary) must reach `min_dropout_evidence` (3.84, the 5 % point of chi-square with 1 df).

The ladder, in order, for each model in the configured list: default tolerance, then a looser
tolerance and other starting points when the optimizer does not converge, then each penalizer
of the grid. lifetimes rescales time internally (so that max T = 10) before optimizing, which
makes trying other time units pointless; starting points take that rung's place. When no model
passes, the NBD model itself is used if the configuration allows it: it is the boundary
solution the others were heading for, and says "no measurable dropout in this data".
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import astuple, dataclass, field, fields
from typing import Any, ClassVar, Literal

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from reportgen.models.clv import beta_geometric, pareto
from reportgen.models.messages import first_line

ModelName = Literal["bgnbd", "mbgnbd", "paretonbd", "nbd"]
PARAM_MIN = 1e-6
PARAM_MAX = 1e8
LOOSE_TOLERANCE = 1e-5
TIGHT = {"ftol": 1e-12, "gtol": 1e-8, "maxiter": 3000}  # L-BFGS-B: follow a ridge to its end
FLAT_GRADIENT = 1e-5  # L-BFGS-B's default projected-gradient tolerance
SIMPLEX_EVALUATIONS = 1500  # Pareto/NBD's fallback walk (see fit_pareto_nbd)
NO_DROPOUT_EVIDENCE = "dropout adds nothing over no dropout"
# Starting points. BG/NBD and MBG/NBD optimize log-parameters (lifetimes' default: 0.1 each);
# Pareto/NBD optimizes the parameters themselves and, left alone, draws its start at random
# around 1.0, which would make the same data give different fits from run to run.
# (Pareto/NBD is fitted here, not by lifetimes: see fit_pareto_nbd.)
LOG_STARTS = {"default": None, "low": -1.0, "high": 1.0}
PARETO_STARTS = {"default": 1.0, "low": 0.5, "high": 2.0}


@dataclass(frozen=True)
class SummaryArrays:
    """frequency, recency, T and weights as NumPy arrays, the form the fitters take."""

    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    weight: np.ndarray

    @property
    def customers(self) -> int:
        """Number of customers the (possibly compressed) rows stand for."""
        return int(self.weight.sum())


@dataclass(frozen=True)
class FitAttempt:
    """One rung of the ladder: what was tried and what came of it."""

    model: str
    penalizer: float
    tolerance: float
    start: str
    outcome: Literal["accepted", "no convergence", "boundary", "failed", "unidentified"]
    detail: str
    params: dict[str, float] = field(default_factory=dict)
    log_likelihood: float | None = None


Arrays = np.ndarray


class LikelihoodMethods:
    """A family's log-likelihood and its gradient in the logarithms of its parameters, both
    from its `_likelihood`: the weighted log-likelihood and its gradient in the parameters."""

    def _likelihood(self, data: SummaryArrays) -> tuple[float, Arrays]:
        raise NotImplementedError

    def log_likelihood(self, data: SummaryArrays) -> float:
        """The weighted log-likelihood of the customers' (x, t_x, T)."""
        return float(self._likelihood(data)[0])

    def log_likelihood_slope(self, data: SummaryArrays) -> Arrays:
        """The log-likelihood's gradient in the logarithms of the parameters."""
        return np.asarray(self._likelihood(data)[1] * np.array(astuple(self)))  # type: ignore[call-overload]


@dataclass(frozen=True)
class NBD(LikelihoodMethods):
    """The NBD model: each customer buys at their own Poisson rate, Gamma(r, alpha) across
    customers, and never drops out."""

    r: float
    alpha: float
    name: ClassVar[ModelName] = "nbd"
    label: ClassVar[str] = "NBD (no dropout)"
    has_dropout: ClassVar[bool] = False

    def _likelihood(self, data: SummaryArrays) -> tuple[float, Arrays]:
        x, T, w = data.frequency.astype(float), data.T, data.weight.astype(float)
        return nbd_log_likelihood_and_gradient(self.r, self.alpha, x, T, w)

    def expected_purchases(self, t: float, frequency: Arrays, recency: Arrays, T: Arrays
                           ) -> Arrays:
        """Expected repeat purchases in the next t time units, per customer."""
        return np.asarray((self.r + frequency) / (self.alpha + T) * t, dtype=float)

    def p_alive(self, frequency: Arrays, recency: Arrays, T: Arrays) -> Arrays:
        """NaN for every customer: without dropout the model estimates no P(alive)."""
        return np.full_like(np.asarray(T, dtype=float), np.nan)

    def sample(self, T: Arrays, rng: np.random.Generator) -> tuple[Arrays, Arrays]:
        """Simulated repeat purchases (frequency) and the time of the last (recency) of
        customers first seen T time units before the end."""
        rates = rng.gamma(self.r, 1 / self.alpha, T.size)
        return _poisson_purchases(rates, np.asarray(T, dtype=float), np.full(T.size, np.inf),
                                  rng)


@dataclass(frozen=True)
class BGNBD(LikelihoodMethods):
    """BG/NBD (Fader, Hardie & Lee 2005): Poisson purchasing at Gamma(r, alpha) rates; after
    each repeat purchase the customer leaves with probability p, Beta(a, b) across customers."""

    r: float
    alpha: float
    a: float
    b: float
    name: ClassVar[ModelName] = "bgnbd"
    label: ClassVar[str] = "BG/NBD"
    has_dropout: ClassVar[bool] = True

    def _likelihood(self, data: SummaryArrays) -> tuple[float, Arrays]:
        x, w = data.frequency.astype(float), data.weight.astype(float)
        with np.errstate(all="ignore"):
            return beta_geometric.LIKELIHOODS[self.name](self.r, self.alpha, self.a, self.b, x,
                                                         data.recency, data.T, w)

    def expected_purchases(self, t: float, frequency: Arrays, recency: Arrays, T: Arrays
                           ) -> Arrays:
        """Expected repeat purchases in the next t time units, per customer."""
        with np.errstate(all="ignore"):  # overflow gives inf or nan, as lifetimes' did
            return beta_geometric.expected_purchases(self.name, self.r, self.alpha, self.a,
                                                     self.b, t, frequency, recency, T)

    def p_alive(self, frequency: Arrays, recency: Arrays, T: Arrays) -> Arrays:
        """The probability that each customer is still active."""
        with np.errstate(all="ignore"):
            return beta_geometric.p_alive(self.name, self.r, self.alpha, self.a, self.b,
                                          frequency, recency, T)

    def sample(self, T: Arrays, rng: np.random.Generator) -> tuple[Arrays, Arrays]:
        """Simulated repeat purchases (frequency) and the time of the last (recency) of
        customers first seen T time units before the end."""
        rates = rng.gamma(self.r, 1 / self.alpha, T.size)
        repeats = rng.geometric(rng.beta(self.a, self.b, T.size))  # the one they leave after
        return _poisson_purchases(rates, np.asarray(T, dtype=float),
                                  repeats - self._first_chance, rng)

    _first_chance: ClassVar[int] = 0  # MBG/NBD: may also leave right after the first purchase


@dataclass(frozen=True)
class MBGNBD(BGNBD):
    """MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD in which a customer may also
    leave right after their first purchase."""

    name: ClassVar[ModelName] = "mbgnbd"
    label: ClassVar[str] = "MBG/NBD"
    _first_chance: ClassVar[int] = 1


@dataclass(frozen=True)
class ParetoNBD(LikelihoodMethods):
    """Pareto/NBD (Schmittlein, Morrison & Colombo 1987): Poisson purchasing at Gamma(r, alpha)
    rates for an exponential lifetime, its rate Gamma(s, beta) across customers."""

    r: float
    alpha: float
    s: float
    beta: float
    name: ClassVar[ModelName] = "paretonbd"
    label: ClassVar[str] = "Pareto/NBD"
    has_dropout: ClassVar[bool] = True

    def _likelihood(self, data: SummaryArrays) -> tuple[float, Arrays]:
        x, w = data.frequency.astype(float), data.weight.astype(float)
        with np.errstate(all="ignore"):
            return pareto.log_likelihood_and_gradient(self.r, self.alpha, self.s, self.beta, x,
                                                      data.recency, data.T, w)

    def expected_purchases(self, t: float, frequency: Arrays, recency: Arrays, T: Arrays
                           ) -> Arrays:
        """Expected repeat purchases in the next t time units (Fader, Hardie & Lee 2005, eq. 2
        of the note on it): (r + x)(beta + T) / ((alpha + T)(s - 1)) x [1 - ((beta + T)/
        (beta + T + t))^(s - 1)] x P(alive); for s = 1 the bracket over s - 1 becomes
        log((beta + T + t)/(beta + T))."""
        r, alpha, s, beta = self.r, self.alpha, self.s, self.beta
        x, age = np.asarray(frequency, dtype=float), np.asarray(T, dtype=float)
        ratio = (beta + age) / (beta + age + t)
        horizon = -np.log(ratio) if abs(s - 1) < 1e-9 else (1 - ratio ** (s - 1)) / (s - 1)
        alive = self.p_alive(frequency, recency, T)
        return np.asarray((r + x) * (beta + age) / (alpha + age) * horizon * alive)

    def p_alive(self, frequency: Arrays, recency: Arrays, T: Arrays) -> Arrays:
        """The probability that each customer is still active."""
        return pareto.p_alive(self.r, self.alpha, self.s, self.beta, frequency, recency, T)

    def sample(self, T: Arrays, rng: np.random.Generator) -> tuple[Arrays, Arrays]:
        """Simulated repeat purchases (frequency) and the time of the last (recency) of
        customers first seen T time units before the end."""
        rates = rng.gamma(self.r, 1 / self.alpha, T.size)
        lifetimes_ = rng.exponential(1 / rng.gamma(self.s, 1 / self.beta, T.size))
        ages = np.asarray(T, dtype=float)
        return _poisson_purchases(rates, np.minimum(ages, lifetimes_), np.full(T.size, np.inf),
                                  rng, ages)


PurchaseProcess = NBD | BGNBD | MBGNBD | ParetoNBD
# The one registry of purchase models: a model is chosen by name here and nowhere else.
FAMILIES: dict[str, type[PurchaseProcess]] = {
    family.name: family for family in (BGNBD, MBGNBD, ParetoNBD, NBD)}
MODEL_LABELS: dict[str, str] = {name: family.label for name, family in FAMILIES.items()}


def process(name: str, params: dict[str, float]) -> PurchaseProcess:
    """The purchase model `name` (a key of FAMILIES) with these parameters."""
    return FAMILIES[name](**params)


def _poisson_purchases(rates: Arrays, active: Arrays, most: Arrays, rng: np.random.Generator,
                       ages: Arrays | None = None) -> tuple[Arrays, Arrays]:
    """Repeat purchases of customers buying at Poisson `rates` for `active` time units after
    their first purchase, at most `most` of them: how many, and the time of the last (0 for
    none). `ages` (default `active`) is only where the observation ends."""
    counts = rng.poisson(rates * active)
    owner = np.repeat(np.arange(rates.size), counts)
    times = rng.random(owner.size) * active[owner]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    rank = np.arange(owner.size) - (np.cumsum(counts) - counts)[owner]
    kept = rank < most[owner]
    frequency = np.bincount(owner[kept], minlength=rates.size).astype(float)
    recency = np.zeros(rates.size)
    np.maximum.at(recency, owner[kept], times[kept])
    return frequency, recency


@dataclass(frozen=True)
class PurchaseModel:
    """A fitted purchase model: its process (parameters and predictions), the log-likelihood
    it reached on the data it was fitted to, and the penalizer it was fitted with."""

    process: PurchaseProcess
    log_likelihood: float
    penalizer: float

    @property
    def name(self) -> ModelName:
        """The model's key in FAMILIES, e.g. bgnbd."""
        return self.process.name

    @property
    def label(self) -> str:
        """Display name, e.g. BG/NBD."""
        return self.process.label

    @property
    def params(self) -> dict[str, float]:
        """The parameters by name, in the model's order."""
        return {field_.name: float(getattr(self.process, field_.name))
                for field_ in fields(self.process)}

    @property
    def estimates_dropout(self) -> bool:
        """Whether the model has a dropout process, and so estimates P(alive)."""
        return self.process.has_dropout

    def expected_purchases(self, t: float, frequency: Arrays, recency: Arrays, T: Arrays
                           ) -> Arrays:
        """Expected repeat purchases in the next t time units, per customer."""
        return self.process.expected_purchases(t, frequency, recency, T)

    def p_alive(self, frequency: Arrays, recency: Arrays, T: Arrays) -> Arrays:
        """Probability that each customer is still active; NaN for every customer of the NBD
        model, which has no dropout and so estimates none."""
        return self.process.p_alive(frequency, recency, T)


@dataclass(frozen=True)
class ModelFit:
    """The model the ladder settled on (None if none), every attempt, and why."""

    model: PurchaseModel | None
    attempts: tuple[FitAttempt, ...]
    reason: str
    nbd_log_likelihood: float


def fit_purchase_model(
    data: SummaryArrays,
    models: Sequence[str],
    penalizers: Sequence[float],
    min_dropout_evidence: float,
    allow_no_dropout: bool,
) -> ModelFit:
    """Walk the ladder and return the first acceptable fit (see the module docstring)."""
    nbd = fit_nbd(data)
    attempts: list[FitAttempt] = []
    for name in models:
        for attempt, model in _ladder(name, data, penalizers, nbd.log_likelihood,
                                      min_dropout_evidence):
            attempts.append(attempt)
            if model is not None:
                reason = (
                    f"{model.label} fitted (penalizer {model.penalizer:g}) after "
                    f"{len(attempts)} attempt{'s' if len(attempts) > 1 else ''}."
                )
                return ModelFit(model, tuple(attempts), reason, nbd.log_likelihood)
    tried = ", ".join(MODEL_LABELS[m] for m in models)
    failures = _failure_summary(attempts)
    if allow_no_dropout:
        attempts.append(FitAttempt(
            "nbd", 0.0, 0.0, "default", "accepted",
            "the boundary solution: customers keep buying at their own rates",
            nbd.params, nbd.log_likelihood,
        ))
        reason = (
            f"No model with dropout fitted ({tried}: {failures}); the data show no measurable "
            "customer dropout, so the forecast uses the NBD model, the boundary solution they "
            "tend to, in which customers keep buying at their own rates."
        )
        return ModelFit(nbd, tuple(attempts), reason, nbd.log_likelihood)
    return ModelFit(None, tuple(attempts), f"no model fitted ({tried}: {failures})",
                    nbd.log_likelihood)


def fit_family(data: SummaryArrays, name: str, penalizers: Sequence[float],
               min_dropout_evidence: float, allow_no_dropout: bool) -> ModelFit:
    """One family refitted by its ladder over `penalizers` (NBD where it shows no dropout and
    that is allowed), or NBD itself for "nbd": how a backtest or forecast window refits the
    report's model."""
    if name == "nbd":
        nbd = fit_nbd(data)
        return ModelFit(nbd, (), "the report's model", nbd.log_likelihood)
    return fit_purchase_model(data, [name], penalizers, min_dropout_evidence, allow_no_dropout)


def _ladder(
    name: str,
    data: SummaryArrays,
    penalizers: Sequence[float],
    nbd_log_likelihood: float,
    min_dropout_evidence: float,
) -> Iterator[tuple[FitAttempt, PurchaseModel | None]]:
    """Attempts for one model: for each penalizer, the default fit, then the fallbacks.

    A converged fit whose dropout adds nothing ends the model's ladder: a penalty can only
    lower the likelihood, so no penalized fit could show more dropout evidence.
    """
    for penalizer in penalizers:
        for tolerance, start in _optimizer_settings(name):
            attempt, model = _try_fit(
                name, data, penalizer, tolerance, start, nbd_log_likelihood, min_dropout_evidence
            )
            yield attempt, model
            if attempt.outcome != "no convergence":
                break  # converged (accepted or at a boundary): other settings find the same
        if attempt.outcome == "boundary" and attempt.detail.startswith(NO_DROPOUT_EVIDENCE):
            return


def _optimizer_settings(name: str) -> list[tuple[float, str]]:
    default_tolerance = 1e-4 if name == "paretonbd" else 1e-7
    return [
        (default_tolerance, "default"),
        (max(default_tolerance, LOOSE_TOLERANCE), "default"),
        (default_tolerance, "low"),
        (default_tolerance, "high"),
    ]


def _try_fit(
    name: str,
    data: SummaryArrays,
    penalizer: float,
    tolerance: float,
    start: str,
    nbd_log_likelihood: float,
    min_dropout_evidence: float,
) -> tuple[FitAttempt, PurchaseModel | None]:
    def attempt(outcome: Any, detail: str, params: dict[str, float] | None = None,
                ll: float | None = None) -> FitAttempt:
        return FitAttempt(name, penalizer, tolerance, start, outcome, detail, params or {}, ll)

    initial = _initial_params(name, start)
    try:
        with quiet_numerics():
            if name == "paretonbd":
                params = fit_pareto_nbd(data, initial, penalizer)
            else:
                params = fit_beta_geometric(name, data, initial, tolerance, penalizer)
    except NoConvergence as exc:
        return attempt("no convergence", first_line(exc)), None
    except Exception as exc:  # numeric errors on bad data
        return attempt("failed", first_line(exc)), None
    ll = model_log_likelihood(name, params, data)
    if not all(math.isfinite(v) for v in params.values()) or not math.isfinite(ll):
        return attempt("failed", "non-finite parameters or likelihood", params), None
    evidence = 2 * (ll - nbd_log_likelihood)
    if evidence < min_dropout_evidence:
        return attempt(
            "boundary",
            f"{NO_DROPOUT_EVIDENCE} (likelihood-ratio {evidence:.2f} < {min_dropout_evidence:g})",
            params, ll,
        ), None
    extreme = [k for k, v in params.items() if not PARAM_MIN <= v <= PARAM_MAX]
    if extreme:
        return attempt("boundary", f"{', '.join(extreme)} at the edge of the parameter space",
                       params, ll), None
    model = PurchaseModel(process(name, params), ll, penalizer)
    return attempt("accepted", f"likelihood-ratio {evidence:.1f} over no dropout", params, ll), model


class NoConvergence(Exception):
    """The optimizer stopped without converging."""


Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]


def mean_negative_objective(likelihood: Callable[[np.ndarray], tuple[float, np.ndarray]],
                            customers: float, penalty: float) -> Objective:
    """What every fit here minimises, as a function of the log-parameters: minus the
    log-likelihood per customer (so that gradients are of order one and the first steps stay
    where it is finite) plus penalty x the sum of the squared parameters, and its gradient
    (chain rule: d/d log p = p d/dp). `likelihood(params)` gives the summed log-likelihood and
    its gradient in the parameters; infinity where either is not finite."""
    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(log_params)
        with np.errstate(all="ignore"):
            total, gradient = likelihood(params)
            value = -total / customers + penalty * float((params ** 2).sum())
            slope = -gradient * params / customers + 2 * penalty * params ** 2
        if not (math.isfinite(value) and np.all(np.isfinite(slope))):
            return math.inf, np.zeros(len(params))
        return value, slope
    return objective


def fit_beta_geometric(name: str, data: SummaryArrays, initial: np.ndarray | None,
                       tolerance: float, penalizer: float) -> dict[str, float]:
    """BG/NBD or MBG/NBD parameters fitted as lifetimes fits them (the same likelihood,
    penalty, time rescaled to max T = 10, BFGS in log-parameters from 0.1 each, the same
    tolerance) but with the gradient written out (beta_geometric.py) instead of traced by
    autograd, and without lifetimes' autograd Hessian (uncertainty.py computes its own): the
    same optimum in a fraction of the time."""
    likelihood = beta_geometric.LIKELIHOODS[name]
    scale = 10.0 / float(np.max(data.T))
    x = np.asarray(data.frequency, dtype=float)
    recency, T = data.recency * scale, data.T * scale
    weights = np.asarray(data.weight, dtype=float)
    negative_and_gradient = mean_negative_objective(
        lambda p: likelihood(p[0], p[1], p[2], p[3], x, recency, T, weights), weights.sum(),
        penalizer)
    start = np.full(4, 0.1) if initial is None else initial
    result = minimize(negative_and_gradient, start, jac=True, method="BFGS", tol=tolerance)
    if not result.success:
        raise NoConvergence(f"the optimizer did not converge ({result.message})")
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    return {"r": r, "alpha": alpha / scale, "a": a, "b": b}


def fit_pareto_nbd(data: SummaryArrays, initial: np.ndarray | None, penalizer: float
                   ) -> dict[str, float]:
    """Pareto/NBD parameters fitted by maximum likelihood.

    The likelihood is lifetimes' own, kept finite where lifetimes' is NaN, and taken with its
    gradient (`pareto.log_likelihood_and_gradient`), on time rescaled as lifetimes does
    (max T = 10); the optimizer is
    L-BFGS-B in log-parameters, bounded to [PARAM_MIN, PARAM_MAX], instead of lifetimes'
    Nelder-Mead on the raw parameters, which takes thousands of likelihood evaluations (up
    to 20 s on 4,000 customers) to reach the same optimum. Where L-BFGS-B stalls (its steps
    reach parameters where the likelihood is not finite), Nelder-Mead in log-parameters finds
    the way and L-BFGS-B polishes.
    """
    scale = 10.0 / float(np.max(data.T))
    recency, T = data.recency * scale, data.T * scale
    x = np.asarray(data.frequency, dtype=float)
    weights = np.asarray(data.weight, dtype=float)
    negative_and_gradient = mean_negative_objective(
        lambda p: pareto.log_likelihood_and_gradient(p[0], p[1], p[2], p[3], x, recency, T,
                                                     weights),
        weights.sum(), penalizer / len(weights))  # lifetimes' penalty, per row

    def negative(log_params: np.ndarray) -> float:
        return negative_and_gradient(log_params)[0]

    start = np.log(initial) if initial is not None else np.zeros(4)
    bounds = [(math.log(PARAM_MIN), math.log(PARAM_MAX))] * 4
    start_value = negative(start)
    result = minimize(negative_and_gradient, start, jac=True, method="L-BFGS-B", bounds=bounds,
                      options=TIGHT)
    if not _converged(result, start_value):
        # The quasi-Newton steps stopped early: on a ridge (s and beta growing together, one
        # dropout rate for everyone) the line search runs out of digits, and from some starts
        # the first steps overshoot. Walk on by simplex, which only compares values, from the
        # best point so far, then polish; the walk is capped, since along a ridge it would
        # go on for ever at no gain that matters to the likelihood-ratio test.
        origin = result.x if _below(result.fun, start_value) else start
        walked = minimize(negative, origin, method="Nelder-Mead",
                          options={"maxfev": SIMPLEX_EVALUATIONS, "xatol": 1e-6, "fatol": 1e-12})
        polished = minimize(negative_and_gradient, np.clip(walked.x, *bounds[0]), jac=True,
                            method="L-BFGS-B", bounds=bounds, options=TIGHT)
        result = polished if polished.fun <= walked.fun else walked
        if not _below(result.fun, start_value):
            raise NoConvergence(f"no optimum found ({result.message})")
    r, alpha, s, beta = (float(v) for v in np.exp(result.x))
    return {"r": r, "alpha": alpha / scale, "s": s, "beta": beta / scale}


def _converged(result: Any, start_value: float) -> bool:
    """Stopped by its own criterion, or by a failed line search where the gradient is already
    flat (below SciPy's default tolerance: along a no-dropout ridge the tight tolerance cannot
    be met, and walking on gains nothing), at a finite value below the start's. (Not a zero
    gradient: where the data show no dropout the optimum lies along a ridge towards the
    boundary, which the likelihood-ratio test, not the optimizer, must judge.)"""
    flat = getattr(result, "jac", None) is not None and float(
        np.max(np.abs(result.jac))) <= FLAT_GRADIENT
    return (bool(result.success) or flat) and _below(result.fun, start_value)


def _below(value: float, start_value: float) -> bool:
    return math.isfinite(value) and value < start_value - 1e-9 * abs(start_value)


def _initial_params(name: str, start: str) -> np.ndarray | None:
    if name == "paretonbd":
        # A fixed start (lifetimes draws one at random), alpha and beta apart.
        return np.array([1.0, 1.0, 1.0, 1.5]) * PARETO_STARTS[start]
    value = LOG_STARTS[start]
    return None if value is None else np.full(4, value)


def model_log_likelihood(name: str, params: dict[str, float], data: SummaryArrays) -> float:
    """The model's full log-likelihood on unscaled data (comparable across models)."""
    with quiet_numerics():
        return process(name, params).log_likelihood(data)


def log_likelihood_slope(name: str, params: dict[str, float], data: SummaryArrays
                         ) -> np.ndarray:
    """The gradient of the model's full log-likelihood (model_log_likelihood) with respect to
    the logarithms of its parameters, in the order of `params`."""
    with np.errstate(all="ignore"):
        return process(name, params).log_likelihood_slope(data)


def fit_nbd(data: SummaryArrays) -> PurchaseModel:
    """The NBD model (gamma-Poisson purchasing, no dropout), fitted by maximum likelihood."""
    x, T, w = data.frequency, data.T, data.weight
    scale = 10.0 / max(float(T.max()), 1e-9)  # the rescaling lifetimes uses, for conditioning
    negative_and_gradient = mean_negative_objective(
        lambda p: nbd_log_likelihood_and_gradient(p[0], p[1], x, T * scale, w), w.sum(), 0.0)

    # The first start that converges; the best of all three when none does.
    tried = []
    for start in ([0.0, 0.0], [-1.0, 1.0], [1.0, -1.0]):
        tried.append(minimize(negative_and_gradient, np.array(start), jac=True, method="BFGS",
                              options={"gtol": 1e-9, "maxiter": 4000}))
        if tried[-1].success:
            break
    best = min(tried, key=lambda result: float(result.fun))
    r, alpha_scaled = (float(v) for v in np.exp(best.x))
    params = {"r": r, "alpha": alpha_scaled / scale}
    return PurchaseModel(process("nbd", params), model_log_likelihood("nbd", params, data), 0.0)


def nbd_log_likelihood_and_gradient(r: float, alpha: float, x: np.ndarray, T: np.ndarray,
                                    weight: np.ndarray) -> tuple[float, np.ndarray]:
    """The NBD model's weighted log-likelihood and its gradient in (r, alpha)."""
    gradient = np.array([
        weight @ (digamma(r + x) - digamma(r) + np.log(alpha) - np.log(alpha + T)),
        weight @ (r / alpha - (r + x) / (alpha + T))])
    return float(weight @ _nbd_terms(r, alpha, x, T)), gradient


def _nbd_terms(r: float, alpha: float, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    return np.asarray(
        gammaln(r + x) - gammaln(r) + r * np.log(alpha) - (r + x) * np.log(alpha + T)
    )


def _failure_summary(attempts: list[FitAttempt]) -> str:
    outcomes: dict[str, int] = {}
    for attempt in attempts:
        outcomes[attempt.outcome] = outcomes.get(attempt.outcome, 0) + 1
    return ", ".join(f"{count} {outcome}" for outcome, count in outcomes.items())




@contextlib.contextmanager
def quiet_numerics() -> Iterator[None]:
    """Silence NumPy's and SciPy's warnings on numeric edge cases (overflow at a boundary,
    an optimizer's step outside the domain): the fits judge their results themselves."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            yield
