"""A business unit's configuration: defaults file < unit YAML < REPORTGEN_ environment variables."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from reportgen.currencies import known_currency
from reportgen.errors import ConfigError
from reportgen.models.recommend.methods import Method

URL_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

DEFAULTS_FILE_NAME = "defaults.yaml"
ENV_PREFIX = "REPORTGEN_"

CANONICAL_COLUMNS = (
    "invoice",
    "stock_code",
    "description",
    "quantity",
    "invoice_date",
    "unit_price",
    "customer_id",
    "country",
)


class StrictModel(BaseModel):
    """A config section that rejects unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnMap(StrictModel):
    """Canonical column name -> the column's name in the input file (Online Retail names by default)."""

    invoice: str = Field("InvoiceNo", description="Invoice number; a leading 'C' marks a cancellation.")
    stock_code: str = Field("StockCode", description="Product code.")
    description: str = Field("Description", description="Product name.")
    quantity: str = Field("Quantity", description="Units on the line; negative on cancellations.")
    invoice_date: str = Field("InvoiceDate", description="Timestamp of the invoice.")
    unit_price: str = Field("UnitPrice", description="Price per unit in the unit's currency.")
    customer_id: str = Field("CustomerID", description="Customer identifier; may be empty.")
    country: str = Field("Country", description="Customer's country.")


class SourceFile(StrictModel):
    """One more input file (another year, another export): its path and, where they differ
    from the source's, how to read it."""

    path: Path = Field(description="File or glob; a relative path resolves from the YAML file.")
    format: Literal["auto", "csv", "xlsx", "parquet"] | None = Field(
        None, description="File format; default the source's.")
    encoding: str | None = Field(None, description="Text encoding; default the source's.")
    delimiter: str | None = Field(None, min_length=1, max_length=1,
                                  description="CSV field separator; default the source's.")
    decimal_comma: bool | None = Field(None, description="Decimal comma in numbers; default "
                                       "the source's.")
    timezone: ZoneName | None = Field(None, description="Time zone of the file's times; default "
                                      "the source's.")
    sheet: str | None = Field(None, description="XLSX sheet name; default the source's.")
    date_format: str | None = Field(None, description="invoice_date format; default the source's.")
    columns: ColumnMap | None = Field(None, description="Column mapping; default the source's.")


def known_zone(zone: str) -> str:
    """The zone name when Python's time-zone database knows it; ValueError otherwise."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{zone}' is not a time zone; use an IANA name such as UTC, "
                         "Europe/London or America/New_York") from None
    return zone


# An IANA time-zone name, checked against Python's time-zone database.
ZoneName = Annotated[str, AfterValidator(known_zone)]


def is_url(path: Path | str) -> bool:
    """Whether a source path is a URL (scheme://...) rather than a local path."""
    return isinstance(path, str) and URL_PATTERN.match(path) is not None


class SourceConfig(StrictModel):
    """Where a unit's transactions come from and how to read them."""

    path: Path | str | None = Field(
        None, description="File or glob of files; a relative path resolves from the YAML file's "
        "folder. Optional when `files` lists the files. With engine: spark also a folder or a "
        "URL Spark reads (hdfs://..., s3a://...)."
    )
    files: list[SourceFile] = Field(
        default_factory=list,
        description="More files, read after `path` and stacked before cleaning (other years, "
        "other exports); each may override format, encoding, delimiter, sheet, date_format "
        "and columns. A line found in two files is kept once.",
    )
    format: Literal["auto", "csv", "xlsx", "parquet"] = Field(
        "auto", description="File format; auto picks it from the file extension."
    )
    encoding: str = Field("utf-8", description="Text encoding of CSV files (e.g. utf-8, latin-1).")
    delimiter: str = Field(",", min_length=1, max_length=1, description="CSV field separator.")
    decimal_comma: bool = Field(
        False, description="CSV numbers are written with a decimal comma and may group "
        "thousands with dots or spaces (1.234,56), as many European exports do.")
    sheet: str | None = Field(None, description="XLSX sheet name; default the first sheet.")
    date_format: str | None = Field(
        None,
        description="strftime format of invoice_date in text files, e.g. '%m/%d/%Y %H:%M'; "
        "default: ISO 8601 or the Online Retail export's M/D/YYYY H:MM.",
    )
    columns: ColumnMap = Field(default_factory=ColumnMap, description="Column mapping.")
    timezone: ZoneName | None = Field(
        None, description="The time zone the export's times are written in (an IANA name such "
        "as UTC or America/Chicago); they are converted to report.timezone. Default: the times "
        "are the unit's local times. Times stored with a zone of their own use it.")

    @field_validator("path", mode="before")
    @classmethod
    def _path_or_url(cls, value: Any) -> Any:
        """A URL (scheme://...) stays text: a path would fold its double slash."""
        if value is None or (isinstance(value, str) and is_url(value)):
            return value
        return Path(value)

    @model_validator(mode="after")
    def _some_file(self) -> SourceConfig:
        if self.path is None and not self.files:
            raise ValueError("give source.path, or list the files under source.files")
        return self

    def readers(self) -> list[SourceConfig]:
        """One source per file entry (path first, then files), each with its own settings."""
        plain = self.model_copy(update={"files": []})
        entries = [plain] if self.path is not None else []
        for file in self.files:
            overrides = {key: value for key, value in file if value is not None}
            entries.append(plain.model_copy(update=overrides))
        return entries

    @property
    def first_path(self) -> Path:
        """The first file entry's path: the one messages name for the whole source."""
        return self.readers()[0].path  # type: ignore[return-value]


class FilterConfig(StrictModel):
    """Which rows of the source belong to the unit."""

    countries: list[str] | None = Field(
        None, description="Keep only these countries; omitted = all countries."
    )


class EntryErrorConfig(StrictModel):
    """A purchase line is a suspected entry error when its quantity is far outside the
    product's usual range and a matching cancellation took it back in full soon after, or when
    its unit price is far above the product's usual price. Such lines (and their cancellations)
    are listed on the data-quality page and left out of
    returns, return rates, product rankings and recommendations; the cleaning log keeps them."""

    min_quantity: int = Field(1_000, ge=1, description="At least this many units.")
    quantity_ratio: float = Field(
        50.0, gt=1, description="At least this many times the product's median line quantity "
        "(the median over all products' lines where the product has fewer than 4 lines).")
    cancelled_within_hours: float = Field(
        24.0, gt=0, description="Cancelled in full within this many hours of the order.")
    price_ratio: float = Field(
        100.0, gt=1, description="A sale or cancellation line whose unit price is at least this "
        "many times its product's median price (over at least 4 sale lines) is a suspected "
        "entry error too, cancelled or not (a barcode keyed as the price): set aside and listed.")
    catalogue_price_ratio: float = Field(
        1_000.0, gt=1, description="The same for a product with fewer than 4 sale lines: at "
        "least this many times the median price of every product's sale lines.")


class NonProductRule(StrictModel):
    """One kind of line that is not a product sale (postage, fees, adjustments, ...): it is
    recognised by its stock code (exactly or by a pattern) or its description (by a pattern).
    Patterns are regular expressions searched anywhere in the text; (?i) makes one ignore case."""

    name: str = Field(min_length=1, description="What the lines are, shown in the cleaning log.")
    codes: list[str] = Field(default_factory=list,
                             description="Stock codes, matched exactly but ignoring case.")
    code_patterns: list[str] = Field(default_factory=list,
                                     description="Regular expressions for stock codes.")
    descriptions: list[str] = Field(default_factory=list,
                                    description="Regular expressions for descriptions.")

    @field_validator("code_patterns", "descriptions")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"'{pattern}' is not a regular expression: {exc}") from None
        return patterns


# Rules that hold across retailers' exports: service lines are named for what they are.
# Whole-description patterns where a word also names products ("carriage clock", "adjustable").
DEFAULT_NON_PRODUCT_RULES: tuple[dict[str, Any], ...] = (
    {"name": "Postage, carriage and delivery charges",
     "codes": ["POST", "POSTAGE", "CARRIAGE", "SHIPPING", "DELIVERY", "FREIGHT"],
     "descriptions": [r"(?i)^\W*((next|same)[ -]day |express |standard |international |"
                      r"dotcom |online )?(postage|carriage|shipping|delivery|freight|p ?& ?p)"
                      r"( (and|&) (packing|handling))?( (charges?|costs?|fees?))?\W*$",
                      r"(?i)\b(shipping|delivery|postage) (charges?|costs?|fees?)\b"]},
    {"name": "Fees, commissions and bank charges",
     "codes": ["BANK CHARGES", "FEE", "FEES"],
     "code_patterns": [r"(?i)^[A-Z]*FEE$"],
     "descriptions": [r"(?i)\b(bank charges?|commission|surcharge|(handling|service|"
                      r"transaction|card|payment|packing|packaging|admin(istration)?) "
                      r"(charges?|fees?)|"
                      r"[a-z]+ fees?)\W*$"]},
    {"name": "Manual adjustments, discounts and bad debt",
     "code_patterns": [r"(?i)^ADJ(UST(MENT)?)?\d*$"],
     "descriptions": [r"(?i)^\W*(manual|discount|rebate|write[ -]?off)\W*$",
                      r"(?i)\b(re-?)?adjust(ment)?s?\b", r"(?i)\bbad debt\b"]},
    {"name": "Test products",
     "code_patterns": [r"(?i)^TEST[\w-]*$"],
     "descriptions": [r"(?i)^\W*test\b", r"(?i)\btest (product|item|order)\b"]},
    {"name": "Samples",
     "codes": ["SAMPLE", "SAMPLES"],
     "descriptions": [r"(?i)^\W*(free )?samples?\W*$", r"(?i)\bdamages?/samples?\b"]},
    {"name": "Gift vouchers and gift cards",
     "code_patterns": [r"(?i)^GIFT[_ -]?(CARD|VOUCHER|CERT)?"],
     "descriptions": [r"(?i)\bgift ?(vouchers?|cards?|certificates?|tokens?)\b",
                      r"(?i)\be-?gift\b"]},
    {"name": "Coupons and promotions",
     "code_patterns": [r"(?i)^(COUPON|PROMO|VOUCHER)"],
     "descriptions": [r"(?i)\b(coupons?|vouchers?|promo(tion(al)?)? codes?|"
                      r"loyalty (points|rewards?) redeemed)\b"]},
)


class VolumeConfig(StrictModel):
    """Products whose quantity is not a count of items (fuel by the hundredth of a gallon,
    goods by the gram): kept in revenue, left out of unit rankings, the price-quantity grid
    and product suggestions, and listed on the products page with the reason."""

    quantity_ratio: float = Field(
        100.0, gt=1, description="A product whose median line quantity is at least this many "
        "times the median line quantity of all purchase lines is sold by volume or weight.")
    min_lines: int = Field(4, ge=1, description="Purchase lines a product needs to be judged "
                           "from the data.")
    codes: list[str] = Field(default_factory=list, description="Stock codes always treated as "
                             "sold by volume or weight (ignoring case).")
    not_codes: list[str] = Field(default_factory=list, description="Stock codes never treated "
                                 "so, whatever their quantities (ignoring case).")


class CleaningConfig(StrictModel):
    """Cleaning rules (see SPEC.md, Cleaning)."""

    non_products: list[NonProductRule] = Field(
        default_factory=lambda: [NonProductRule(**rule) for rule in DEFAULT_NON_PRODUCT_RULES],
        description="Kinds of lines that are not product sales (postage, fees, adjustments, "
        "test products, samples, gift vouchers, coupons), each by codes and patterns; checked "
        "in order, the first that matches names the line in the cleaning log. Replace the "
        "list to change the rules; add this unit's own codes with non_product_codes.",
    )
    non_product_codes: list[str] = Field(
        default_factory=list,
        description="This unit's own stock codes that are not products (matched ignoring case), "
        "beside the non_products rules; `reportgen validate` lists codes that look like "
        "non-products and are not excluded.",
    )
    cancellation_prefix: str | None = Field(
        "C", min_length=1, description="Invoices starting with this text (ignoring case) are "
        "cancellations or returns; null when the export marks returns only by a negative "
        "quantity. A line with a negative quantity is a return either way.")
    cancellation_window_hours: float | None = Field(
        24.0, gt=0, description="A return of a whole order line (same customer, product and "
        "units) within this many hours of the order cancels it: the order never counts as "
        "revenue (a cancelled order). Later, the goods were returned: the order stays in "
        "revenue and the return counts as one. null: any time.")
    reissue_days: float = Field(
        7.0, ge=0, description="An order cancelled in full and ordered again by the same customer "
        "(same product and units) within this many days of the cancellation was re-issued: a "
        "correction, counted in neither returns nor cancelled orders.")
    unknown_description: str = Field(
        "Unknown product", description="Text that replaces a missing product description."
    )
    sold_by_volume: VolumeConfig = Field(
        default_factory=VolumeConfig,
        description="Products whose quantity is not a count (fuel, goods by weight).")
    entry_errors: EntryErrorConfig = Field(
        default_factory=EntryErrorConfig,
        description="Suspected entry errors: outsized lines cancelled in full soon after, and "
        "lines priced far above their product's usual price.")

    def non_product_rules(self) -> list[NonProductRule]:
        """The rules in the order they are checked: the unit's own codes first."""
        own = [NonProductRule(name="Codes listed in cleaning.non_product_codes",
                              codes=self.non_product_codes)] if self.non_product_codes else []
        return [*own, *self.non_products]


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
    n_init: int = Field(10, ge=2, le=50, description="K-Means restarts (best kept).")
    random_state: int = Field(42, description="Seed of sampling and K-Means.")

    @model_validator(mode="after")
    def _range(self) -> ClusterConfig:
        if self.k_min > self.k_max:
            raise ValueError("k_min must not exceed k_max")
        return self


class AudienceFilter(StrictModel):
    """Which customers a recommendation targets; every given condition must hold."""

    segments: list[str] | None = Field(None, description="RFM segments.")
    clv_groups: list[Literal["A", "B", "C", "D"]] | None = Field(None, description="CLV groups.")
    min_recency_days: int | None = Field(None, description="At least this many days since.")
    max_recency_days: int | None = Field(None, description="At most this many days since.")
    min_orders: int | None = Field(None, description="At least this many orders.")
    max_orders: int | None = Field(None, description="At most this many orders.")
    max_return_rate: float | None = Field(None, description="Return rate at most this.")
    min_return_rate: float | None = Field(None, description="Return rate at least this.")
    max_tenure_days: int | None = Field(None, description="First purchase at most this long ago.")
    lapsing: bool | None = Field(
        None, description="true: only customers in the unit's lapsing segments "
        "(rfm.lapsing_segments); false: only customers outside them.")
    max_p_buy_90d: float | None = Field(
        None, ge=0, le=1, description="Chance of buying within 90 days at most this (customers "
        "unlikely to come back on their own); applies where the chance is estimated.")
    first_purchase_in_period: bool | None = Field(
        None, description="true: only customers whose first purchase is in the report's month "
        "(the month's new customers); false: only the others.")


class PlaybookEntry(StrictModel):
    """One entry of the playbook: an action aimed at customers, or an insight (an evergreen
    observation, listed apart and never ranked among the actions)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Identifier; names actions/<id>.csv.")
    title: str = Field(min_length=1, description="Short title.")
    kind: Literal["action", "insight"] = Field(
        "action", description="action: a play with an audience, an action list and values; "
        "insight: an observation shown in the Insights list, with no audience.")
    trigger: str = Field(description="Condition over facts, e.g. 'segment_share.at_risk >= 0.1'.")
    evidence: str = Field(min_length=1, description="The measured facts that justify it.")
    action: str = Field(min_length=1, description="What to do.")
    audience: AudienceFilter = Field(default_factory=AudienceFilter,
                                     description="Customers to act on (actions only).")
    urgent: bool = Field(
        False, description="Time-sensitive (customers slipping away): ranked before the others.")
    effect: Literal["retain", "uplift"] = Field(
        "uplift", description="How the action adds value. retain: it keeps customers who would "
        "otherwise not buy again (incremental value = response x the audience's CLV weighted by "
        "each customer's chance of not buying within 90 days); uplift: it raises the audience's "
        "spend (incremental value = uplift x the audience's CLV).")
    response: float = Field(
        0.1, ge=0, le=1, description="Assumed share of the audience that responds (an "
        "assumption, labelled so in the report, until measured response exists).")
    uplift: float = Field(
        0.05, ge=0, le=1, description="For effect uplift: assumed increase of the audience's "
        "expected spend over the CLV horizon, as a share of it.")
    control_share: float | None = Field(
        None, ge=0, lt=1, description="Share of this action's customers held out as a control "
        "group (not to be contacted); default: the unit's playbook.control_share.")

    @model_validator(mode="after")
    def _insight_has_no_audience(self) -> PlaybookEntry:
        if self.kind == "insight" and self.audience != AudienceFilter():
            raise ValueError(f"entry '{self.id}': an insight has no audience; remove it or "
                             "make the entry kind: action")
        return self


class PlaybookFile(StrictModel):
    """The playbook file: the order plays claim customers in, and the entries."""

    priority: list[str] = Field(
        default_factory=list, description="Action ids in the order they claim customers: each "
        "customer goes to the first fired play whose audience holds them. Actions not listed "
        "come after, in file order.")
    entries: list[PlaybookEntry]

    @model_validator(mode="after")
    def _priority_names_entries(self) -> PlaybookFile:
        ids = {entry.id for entry in self.entries}
        unknown = [name for name in self.priority if name not in ids]
        if unknown:
            raise ValueError(f"priority names the unknown entry '{unknown[0]}'")
        return self


class PlaybookOptions(StrictModel):
    """Which playbook a unit uses, and its own changes to it."""

    file: Path = Field(Path("playbook.yaml"),
                       description="Playbook file; relative paths resolve from the unit's folder.")
    disabled: list[str] = Field(default_factory=list, description="Entry ids to leave out.")
    entries: list[PlaybookEntry] = Field(
        default_factory=list, description="Entries added, or replacing those with the same id.")
    priority: list[str] | None = Field(
        None, description="The unit's own claim order of actions (replaces the playbook's).")
    top_in_summary: int = Field(5, ge=1, le=10,
                                description="Recommendations on the executive summary.")
    control_share: float = Field(
        0.1, ge=0, lt=1, description="Share of each action list held out at random as a control "
        "group, to measure the action's effect next month; 0 turns control groups off.")
    control_shares: dict[str, float] = Field(
        default_factory=dict, description="This unit's control share of particular actions, "
        "by action id (over the entry's and playbook.control_share).")

    @field_validator("control_shares")
    @classmethod
    def _shares_in_range(cls, shares: dict[str, float]) -> dict[str, float]:
        for play, share in shares.items():
            if not 0 <= share < 1:
                raise ValueError(f"control share of '{play}' must be at least 0 and below 1")
        return shares


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



class DeliveryConfig(StrictModel):
    """Who receives the unit's monthly summary email (SMTP settings come from the environment)."""

    to: list[str] = Field(default_factory=list, description="Recipients.")
    cc: list[str] = Field(default_factory=list, description="Copy recipients.")
    subject: str = Field(
        "{title}: customer report for {period_label}",
        description="Subject; {title}, {unit}, {period} and {period_label} are filled in.",
    )


class SmtpSettings(BaseSettings):
    """SMTP server, from REPORTGEN_SMTP__* environment variables only (never from YAML)."""

    model_config = SettingsConfigDict(env_prefix="REPORTGEN_SMTP__", extra="ignore")

    host: str | None = Field(None, description="SMTP server host name.")
    port: int | None = Field(None, description="Port; default 465 for ssl, else 587 (25 for none).")
    security: Literal["none", "starttls", "ssl"] = Field(
        "starttls", description="Connection security; certificates are verified.")
    username: str | None = Field(None, description="Login name, if the server needs one.")
    password: SecretStr | None = Field(None, description="Password for the login.")
    sender: str | None = Field(None, description="From address.")
    timeout: float = Field(30.0, gt=0, description="Seconds to wait for the server.")
    retries: int = Field(3, ge=1, le=10, description="Attempts on transient failures.")
    retry_delay: float = Field(5.0, ge=0, description="Seconds before the first retry (doubles).")

    def effective_port(self) -> int:
        """The configured port, or the usual one for the security mode."""
        return self.port or {"ssl": 465, "starttls": 587, "none": 25}[self.security]


class SparkConfig(StrictModel):
    """Where engine: spark runs: Spark's master URL and session options. Credentials for the
    cluster and its storage stay in Spark's own configuration (spark-defaults.conf, the
    environment, the cluster's identity), never in the unit's file."""

    master: str = Field("local[*]", min_length=1, description="Spark master URL: local[*] "
                        "(this machine's cores), spark://host:7077, yarn, k8s://https://host.")
    options: dict[str, str] = Field(
        default_factory=dict, description="Spark settings for the session, e.g. "
        "spark.executor.memory: 8g (they override reportgen's, see inputs/spark.py).")


class ReportConfig(StrictModel):
    """Presentation options."""

    organisation: str = Field("", description="Organisation name shown on the cover page.")
    timezone: ZoneName | None = Field(
        None, description="The unit's local time zone (an IANA name such as Europe/London): "
        "every day, hour and month of the report (daypart, peak hour, the period's boundaries) "
        "is local time there. Default: source.timezone, that is the times as written.")


class UnitConfig(BaseSettings):
    """One business unit's report configuration."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", frozen=True
    )

    unit: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="Identifier used in output paths (lowercase letters, digits, - and _).",
    )
    title: str = Field(min_length=1, description="Name of the business unit shown in the report.")
    currency: str = Field(
        pattern=r"^[A-Z]{3}$", description="ISO 4217 code of the amounts, e.g. GBP, USD, EUR."
    )
    source: SourceConfig = Field(description="The transaction input.")
    filters: FilterConfig = Field(default_factory=FilterConfig, description="Row filters.")
    cleaning: CleaningConfig = Field(default_factory=CleaningConfig, description="Cleaning rules.")
    rfm: RfmConfig = Field(default_factory=RfmConfig, description="RFM options.")
    clv: ClvConfig = Field(default_factory=ClvConfig, description="Customer lifetime value.")
    cohorts: CohortConfig = Field(default_factory=CohortConfig, description="Cohort options.")
    clusters: ClusterConfig = Field(default_factory=ClusterConfig, description="K-Means clusters.")
    behaviour: BehaviourConfig = Field(
        default_factory=BehaviourConfig, description="Behaviour, product and return options."
    )
    suggestions: SuggestionsConfig = Field(
        default_factory=SuggestionsConfig, description="Product suggestions and affinity.")
    measurement: MeasurementConfig = Field(
        default_factory=MeasurementConfig, description="Measured response to earlier actions.")
    report: ReportConfig = Field(default_factory=ReportConfig, description="Report options.")
    playbook: PlaybookOptions = Field(default_factory=PlaybookOptions,
                                      description="Recommendation playbook.")
    engine: Literal["polars", "spark"] = Field(
        "polars", description="What reads and cleans the transactions and reduces them to the "
        "tables the chapters read: polars (this machine) or spark (Apache Spark, see `spark`).")
    spark: SparkConfig = Field(default_factory=SparkConfig,
                               description="The Spark session for engine: spark.")
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig,
                                     description="Summary email recipients and subject.")

    _config_file: Path = PrivateAttr(default=Path("."))

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, code: str) -> str:
        if not known_currency(code):
            raise ValueError(f"'{code}' is not an ISO 4217 currency code (e.g. GBP, USD, EUR)")
        return code

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment variables win over the YAML files (passed in as init values).
        return env_settings, init_settings

    @property
    def local_zone(self) -> str | None:
        """The unit's local time zone (report.timezone, else source.timezone), or None when
        the times are taken as written."""
        return self.report.timezone or self.source.timezone

    @property
    def config_file(self) -> Path:
        """The unit YAML file this configuration was read from."""
        return self._config_file


class ConfigErrors(ConfigError):
    """Several configuration problems found at once; the first one is the message."""

    def __init__(self, problems: list[ConfigError]) -> None:
        first = problems[0]
        super().__init__(first.message, unit=first.unit, file=first.file, hint=first.hint)
        self.problems = problems

    def one_line(self) -> str:
        """Return the first problem and how many more there are."""
        more = len(self.problems) - 1
        tail = f" (and {more} more; 'reportgen validate' lists them all)" if more else ""
        return self.problems[0].one_line() + tail


def load_unit_config(path: Path) -> UnitConfig:
    """Read a unit's YAML over the defaults file beside it, apply environment overrides, validate."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            "configuration file not found", file=path, hint="check the path passed to reportgen"
        )
    defaults_path = path.parent / DEFAULTS_FILE_NAME
    defaults = read_yaml_mapping(defaults_path) if defaults_path.is_file() else {}
    unit_values = read_yaml_mapping(path)
    merged = deep_merge(defaults, unit_values)
    unit_name = str(unit_values.get("unit", path.stem))
    try:
        config = UnitConfig(**merged)
    except ValidationError as exc:
        sources = [(path, unit_values), (defaults_path, defaults)]
        raise ConfigErrors(
            [_problem(err, unit_name, path, sources) for err in exc.errors()]
        ) from None
    def resolve(source_path: Path | str) -> Path | str:
        if isinstance(source_path, str):  # a URL
            return source_path
        return source_path if source_path.is_absolute() else (path.parent / source_path).resolve()

    source = config.source.model_copy(update={
        "path": resolve(config.source.path) if config.source.path is not None else None,
        "files": [file.model_copy(update={"path": resolve(file.path)})
                  for file in config.source.files],
    })
    resolved = config.model_copy(update={"source": source})
    resolved._config_file = path
    return resolved


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """Return a YAML file's top-level mapping, or raise ConfigError naming the file and line."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise ConfigError(f"invalid YAML at line {line}: {exc.problem}", file=path) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read configuration: {exc}", file=path) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError("the file must contain a mapping of keys to values", file=path)
    return loaded


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Return base updated by override; nested mappings merge, everything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _problem(
    err: Any, unit: str, unit_file: Path, sources: list[tuple[Path, dict[str, Any]]]
) -> ConfigError:
    """Turn one pydantic error into a ConfigError naming the file (or variable) and key."""
    loc = tuple(str(part) for part in err["loc"])
    key = ".".join(loc)
    origin: str = str(unit_file)
    env_name = ENV_PREFIX + "__".join(loc).upper()
    if env_name in os.environ:
        origin = f"environment variable {env_name}"
    else:
        for file, values in sources:
            if _has_path(values, loc):
                origin = str(file)
                break
    if err["type"] == "extra_forbidden":
        return ConfigError(
            f"unknown key '{key}'", unit=unit, file=origin, hint="remove it or check its spelling"
        )
    if err["type"] == "missing":
        return ConfigError(f"missing required key '{key}'", unit=unit, file=origin)
    message = str(err["msg"]).removeprefix("Value error, ")
    where = f"key '{key}': " if key else ""
    return ConfigError(f"{where}{message}", unit=unit, file=origin)


def _has_path(values: Any, loc: tuple[str, ...]) -> bool:
    for part in loc:
        if isinstance(values, dict) and part in values:
            values = values[part]
        elif isinstance(values, list) and part.isdigit() and int(part) < len(values):
            values = values[int(part)]
        else:
            return False
    return True
