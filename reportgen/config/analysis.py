"""The chapters' settings: RFM, CLV, cohorts, behaviour, suggestions, clusters and measurement."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    model_validator,
)

from reportgen.config.base import StrictModel
from reportgen.models.recommend.methods import Method


class SegmentRule(StrictModel):
    """One line of the RFM segment map: a segment name for a block of R and F scores."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Segment name (snake_case).")
    r: list[int] = Field(description="Recency scores (1-5) this rule covers.")
    f: list[int] = Field(description="Frequency scores (1-5) this rule covers.")
    description: str = Field(
        "", description="What the segment means, shown in the report; built-in names have one."
    )

    @model_validator(mode="after")
    def _scores_in_range(self) -> SegmentRule:
        bad = [s for s in [*self.r, *self.f] if not 1 <= s <= 5]
        if bad or not self.r or not self.f:
            raise ValueError(f"segment '{self.name}': r and f must list scores from 1 to 5")
        return self


def _spec_segment_map() -> list[SegmentRule]:
    rules = [
        ("hibernating", [1, 2], [1, 2]),
        ("at_risk", [1, 2], [3, 4]),
        ("cant_lose", [1, 2], [5]),
        ("about_to_sleep", [3], [1, 2]),
        ("need_attention", [3], [3]),
        ("loyal_customers", [3, 4], [4, 5]),
        ("promising", [4], [1]),
        ("new_customers", [5], [1]),
        ("potential_loyalists", [4, 5], [2, 3]),
        ("champions", [5], [4, 5]),
    ]
    return [SegmentRule(name=n, r=r, f=f) for n, r, f in rules]


class RfmConfig(StrictModel):
    """RFM scoring and the segment map."""

    monetary: Literal["gross", "net"] = Field(
        "gross", description="Monetary value: gross purchases, or net of the customer's returns."
    )
    recency_resolution: Literal["auto", "days", "cycles"] = Field(
        "auto", description="days: recency scored by quintiles of the days since the last "
        "order; cycles: by how many of their own usual gaps between purchases ago customers "
        "last bought (5 within 3, 4 within 5, 3 within 8, 2 within 12, 1 beyond), so that "
        "where customers buy often a few days' chance does not decide the score; auto: cycles "
        "where the unit's customers usually buy at least monthly (a usual gap of 31 days or "
        "less), else days.")
    segments: list[SegmentRule] = Field(
        default_factory=_spec_segment_map,
        description="Segment map; the first rule that matches a customer's R and F scores wins.",
    )
    lapsing_segments: list[str] = Field(
        default_factory=lambda: ["at_risk", "cant_lose"],
        description="Segments of once-regular customers who have gone quiet: the summary's "
        "headline counts them, the facts lapsing.count and lapsing.spend measure them, and a "
        "playbook audience with lapsing: true targets them.",
    )

    @model_validator(mode="after")
    def _covers_every_score_pair(self) -> RfmConfig:
        covered = {(r, f) for rule in self.segments for r in rule.r for f in rule.f}
        missing = [f"R{r}F{f}" for r in range(1, 6) for f in range(1, 6) if (r, f) not in covered]
        if missing:
            raise ValueError(
                "segment map leaves these score pairs without a segment: " + ", ".join(missing)
            )
        names = {rule.name for rule in self.segments}
        unknown = [name for name in self.lapsing_segments if name not in names]
        if unknown:
            raise ValueError(f"lapsing_segments names '{unknown[0]}', which is not a segment of "
                             "the map")
        return self


PurchaseModelName = Literal["bgnbd", "mbgnbd", "paretonbd"]


# Pareto/NBD first: where the data show dropout, it ranks who is still active best.
DEFAULT_PURCHASE_MODELS: tuple[PurchaseModelName, ...] = ("paretonbd", "bgnbd", "mbgnbd")


class ClvConfig(StrictModel):
    """Customer lifetime value: purchase model, spend model, horizon and backtest."""

    enabled: bool = Field(True, description="Compute CLV and show its section.")
    time_unit_days: int = Field(
        7, ge=1, le=31, description="Time unit of the models in days (7 = weeks)."
    )
    horizon_months: int = Field(
        12, ge=1, le=60,
        description="CLV horizon in months; 12 spans a full seasonal cycle.")
    monthly_discount_rate: float = Field(
        0.01, ge=0, lt=1, description="Discount rate per month applied to future value."
    )
    models: list[PurchaseModelName] = Field(
        default_factory=lambda: list(DEFAULT_PURCHASE_MODELS),
        min_length=1,
        description="Purchase models in the order the fitting ladder tries them.",
    )
    penalizers: list[float] = Field(
        default_factory=lambda: [0.0],
        min_length=1,
        description="Penalizer grid tried for each model, in order. A penalizer can force a "
        "dropout the data do not show; the default tries none.",
    )
    min_dropout_evidence: float = Field(
        3.84, ge=0,
        description="Likelihood-ratio a model's dropout must gain over no dropout to be "
        "accepted (3.84 = 5 % chi-square, 1 df).",
    )
    allow_no_dropout_model: bool = Field(
        True,
        description="When no model with dropout fits, forecast with the NBD model (no "
        "dropout) instead of reporting CLV as not available.",
    )
    select_by: Literal["ladder", "holdout"] = Field(
        "ladder",
        description="ladder: first acceptable fit; holdout: the candidate with the lowest "
        "customer-level error in the backtest.",
    )
    backtest_weeks: int = Field(
        12, ge=1, le=104, description="Length of the backtest holdout window in weeks."
    )
    spend_penalizers: list[float] = Field(
        default_factory=lambda: [0.0, 0.001, 0.01], min_length=1,
        description="Penalizers tried for Gamma-Gamma, in order.",
    )
    max_spend_frequency_correlation: float = Field(
        0.3, ge=0, le=1,
        description="Warn when spend and frequency correlate at least this much.",
    )
    top_customers: int = Field(10, ge=1, le=100, description="Rows in the top-customers table.")
    at_risk_segments: list[str] = Field(
        default_factory=lambda: ["at_risk", "cant_lose", "need_attention", "about_to_sleep"],
        description="RFM segments whose CLV group A customers are listed as high value at risk.",
    )


class CohortConfig(StrictModel):
    """Acquisition cohorts."""

    grain: Literal["month", "quarter"] = Field(
        "month", description="Cohorts by month or by quarter of first purchase."
    )
    shown: int = Field(12, ge=2, le=36, description="Most recent cohorts shown in the heatmap.")
    min_cohorts_for_average: int = Field(
        3, ge=1, le=36,
        description="Cohorts a point of the average retention curve needs; points with fewer "
        "are not drawn as the average.")


class BehaviourConfig(StrictModel):
    """Purchase behaviour, products, returns and countries."""

    window_months: int = Field(
        12, ge=1, le=60,
        description="Months up to the period's end that the behaviour, product, return and "
        "country views cover.",
    )
    afternoon_starts_hour: int = Field(12, ge=1, le=22, description="First hour of the afternoon.")
    evening_starts_hour: int = Field(17, ge=2, le=23, description="First hour of the evening.")
    top_products: int = Field(10, ge=1, le=50, description="Rows in each product table.")
    min_units_for_return_rate: int = Field(
        100, ge=1, description="Units a product must have sold to be ranked by return rate."
    )
    min_customers_for_return_rate: int = Field(
        3, ge=1, description="Customers whose returns a product's return rate must rest on to "
        "be ranked (one customer's large return is not the product's rate).")
    min_buyers_for_repeat: int = Field(
        20, ge=2, description="Buyers a product needs to be ranked by repeat buying."
    )

    @model_validator(mode="after")
    def _afternoon_before_evening(self) -> BehaviourConfig:
        if self.afternoon_starts_hour >= self.evening_starts_hour:
            raise ValueError("afternoon_starts_hour must be before evening_starts_hour")
        return self


SuggestionMethod = Method  # auto: EASE up to max_dense_products products, item-item above


class SuggestionsConfig(StrictModel):
    """Products to suggest to each customer, the product-affinity chapter and its backtest."""

    enabled: bool = Field(True, description="Suggest products and show the chapter.")
    per_customer: int = Field(10, ge=1, le=50,
                              description="Products suggested to each customer (and bought "
                              "products listed to buy again).")
    history_months: int = Field(
        24, ge=2, le=120,
        description="Months of purchases up to the period's end the suggestions learn from.")
    active_months: int = Field(
        12, ge=1, le=60,
        description="Customers who bought within this many months get suggestions.")
    method: SuggestionMethod = Field(
        "auto",
        description="auto: EASE while the catalogue fits a dense product-by-product matrix "
        "(max_dense_products), else item_item; ease: EASE, a closed-form linear product-to-"
        "product model (Steck 2019); item_item: co-purchase (cosine) nearest neighbours, sparse; "
        "popularity: the best sellers of the last months. The backtest falls back to popularity "
        "when the method does not beat it.")
    regularisation: float = Field(300.0, gt=0, description="EASE's L2 penalty (lambda).")
    neighbours: int = Field(20, ge=1, le=500,
                            description="item_item: most similar products kept per product.")
    max_dense_products: int = Field(
        6_000, ge=10, le=30_000,
        description="auto uses EASE up to this many products (6,000: 137 MiB per products x "
        "products matrix, about 310 MiB at the fit's peak and 3.4 s on 2 cores; the time grows "
        "with the cube of the catalogue) and item_item above it.")
    recent_months: int = Field(
        3, ge=1, le=24,
        description="A product can be suggested when it sold in these last months; popularity "
        "counts its buyers over them.")
    min_product_customers: int = Field(
        2, ge=1, description="Buyers a product needs in recent_months to be suggested.")
    backtest_months: int = Field(
        3, ge=1, le=12,
        description="The backtest learns from purchases up to this many months before the "
        "analysis date and checks the suggestions against the months after.")
    min_backtest_customers: int = Field(
        30, ge=1, description="Tested customers the backtest needs to judge the method.")
    min_pair_customers: int = Field(
        20, ge=2, description="Customers who bought both, for a product pair to be shown.")
    min_pair_lift: float = Field(
        2.0, ge=1.0,
        description="How many times more often than if unrelated a pair must be bought by the "
        "same customers to be shown (best sellers share many buyers by chance alone).")
    top_pairs: int = Field(10, ge=1, le=50, description="Product pairs shown.")


ClusterFeature = Literal["order_value", "products_per_order", "product_range", "return_rate",
                         "tenure_days", "gap_days", "weekend_share", "evening_share"]
CLUSTER_FEATURES: tuple[ClusterFeature, ...] = (
    "order_value", "products_per_order", "product_range", "return_rate", "tenure_days",
    "gap_days", "weekend_share", "evening_share")


class ClusterConfig(StrictModel):
    """K-Means customer clusters on how customers buy (not on what the RFM segments capture)."""

    enabled: bool = Field(True, description="Cluster customers and show the section.")
    k: int | None = Field(None, ge=2, le=30, description="Fix the number of clusters; "
                          "default: chosen by silhouette over k_min..k_max.")
    k_min: int = Field(2, ge=2, le=30, description="Smallest k searched.")
    k_max: int = Field(10, ge=2, le=30, description="Largest k searched.")
    features: list[ClusterFeature] = Field(
        default_factory=lambda: list(CLUSTER_FEATURES),
        min_length=2,
        description="What customers are clustered on: average order value, products per order, "
        "different products bought, share of value returned, days since first purchase, days "
        "between purchases, shares of orders at weekends and in the evening.")
    scaling: Literal["minmax", "standard"] = Field(
        "standard", description="Scaling of the features (amounts, counts and days "
        "log-transformed first).")
    use_clv: bool = Field(True, description="Number clusters by mean CLV when it is available "
                          "(else by mean spend): cluster 1 is the most valuable.")
    max_overlap_with_segments: float = Field(
        0.5, ge=0, le=1,
        description="Adjusted mutual information with the RFM segments from which the clusters "
        "are said to restate the segments; the chapter then moves to the appendix.")
    sample_size: int = Field(
        10_000, ge=100, description="Customers sampled for the k search and quality scores.")
    minibatch_above: int = Field(
        200_000, ge=1_000, description="Use MiniBatchKMeans for the final fit above this size.")
    n_init: int = Field(10, ge=2, le=50, description="K-Means restarts of the final fit (best "
                        "kept).")
    search_n_init: int = Field(
        4, ge=1, le=50, description="K-Means restarts for each k the search tries (4 chose the "
        "same k as 10 on the UCI UK unit, in 0.6 s less).")
    random_state: int = Field(42, description="Seed of sampling and K-Means.")

    @model_validator(mode="after")
    def _range(self) -> ClusterConfig:
        if self.k_min > self.k_max:
            raise ValueError("k_min must not exceed k_max")
        return self


class MeasurementConfig(StrictModel):
    """Measuring earlier months' action lists: contact against control groups."""

    enabled: bool = Field(True, description="Measure earlier action lists and show the chapter.")
    window_months: int = Field(
        3, ge=1, le=12, description="Months after the campaign date (or, for a list not marked "
        "as carried out, after the end of the month that proposed it) over which purchases count.")
    confidence: float = Field(0.9, gt=0.5, lt=1, description="Confidence of the intervals.")
    bootstrap_samples: int = Field(
        2_000, ge=200, le=100_000, description="Resamples of the revenue-per-customer interval.")
    min_group: int = Field(
        10, ge=2, description="Customers each group needs for a difference to be measured.")
    min_campaigns: int = Field(
        2, ge=1, description="Campaigns carried out and measured over their whole window before "
        "a play's expected response comes from them (labelled measured) instead of the playbook.")
