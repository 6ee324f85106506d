"""How a unit's lines are cleaned: filters, entry errors, non-product rules and goods sold by volume."""

from __future__ import annotations

import re
from typing import Any

from pydantic import (
    Field,
    field_validator,
)

from reportgen.config.base import StrictModel


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
