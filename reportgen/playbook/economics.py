"""What a play costs and earns over the CLV horizon: profit, not revenue.

For the contacted customers (the control group is not contacted) of a play with response r:

- incremental revenue = r x base, where the base is, for a retain play, the contacted
  customers' forecast value weighted by each one's chance of not buying on their own
  (sum of CLV x (1 - chance), the chance of buying within 90 days where estimated), and
  for an uplift play the assumed uplift of a responder's spend times the contacted
  customers' forecast value (sum of CLV x uplift);
- cost = the campaign's fixed cost + contacts x the channel's cost per contact + for a play
  with an offer, the discount (coupon share) on every redeemed order (at each customer's mean
  order value): the responders' orders and, for a retain play, the orders of those who would
  have bought within 90 days anyway (their chance of buying in 90 days);
- incremental profit = gross margin x incremental revenue - cost.

Profit is linear in r, so the break-even response is where it crosses zero; when each extra
responder costs more in discount than their margin brings, no response makes the play pay.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from reportgen.config import EconomicsConfig, PlaybookEntry


@dataclass(frozen=True)
class PlayEconomics:
    """A play's expected revenue, cost and profit over the CLV horizon, and what each rests on
    (labels: 'measured', 'assumed' or 'set for this unit'). Profit is r x per_response -
    fixed_part in the response r."""

    contacts: int
    response: float  # share of contacted customers responding, as used
    response_label: str  # measured on N campaigns, or assumed in the playbook
    uplift: float | None  # uplift plays: increase of a responder's spend, as used
    base_value: float  # value at risk (retain) or contacted customers' value (uplift)
    revenue_per_response: float  # incremental revenue at a response of 1
    gross_margin: float
    margin_label: str
    channel: str
    contact_cost: float  # contacts x cost per contact of the channel
    fixed_cost: float  # the campaign's fixed cost
    coupon_per_response: float  # discount on responders' orders at a response of 1
    natural_coupon_cost: float  # discount on the orders of those who would buy anyway
    cost_label: str

    @property
    def value_factor(self) -> float:
        """The share of the base value the play adds: the response for a retain play (of the
        value at risk), response x uplift for an uplift play (of the contacted value)."""
        return self.response * (self.uplift if self.uplift is not None else 1.0)

    @property
    def expected_incremental_value(self) -> float:
        """Incremental revenue over the horizon."""
        return self.response * self.revenue_per_response

    @property
    def coupon_cost(self) -> float:
        """Discount given on redeemed orders."""
        return self.response * self.coupon_per_response + self.natural_coupon_cost

    @property
    def cost(self) -> float:
        """Everything the play costs."""
        return self.contact_cost + self.coupon_cost + self.fixed_cost

    @property
    def expected_incremental_profit(self) -> float:
        """Gross margin on the incremental revenue, less the cost."""
        return self.gross_margin * self.expected_incremental_value - self.cost

    @property
    def break_even_response(self) -> float | None:
        """The response at which the play's profit is zero; None when no response up to 1
        makes it pay."""
        per_response = self.gross_margin * self.revenue_per_response - self.coupon_per_response
        fixed_part = self.contact_cost + self.fixed_cost + self.natural_coupon_cost
        if per_response <= 0 or fixed_part > per_response:
            return None
        return fixed_part / per_response


def play_economics(entry: PlaybookEntry, contact: pl.DataFrame, response: float,
                   response_label: str, chance_column: str | None,
                   economics: EconomicsConfig) -> PlayEconomics:
    """The economics of contacting `contact` (rows with `clv`, `monetary`, `frequency` and
    the chance column, if any) with the entry's play at `response`."""
    contacts = contact.height
    clv = contact["clv"].fill_null(0.0)
    order_value = (contact["monetary"] / contact["frequency"].clip(1, None)).fill_null(0.0)
    chance = _chance(contact, chance_column)
    # who redeems an offer: those buying within 90 days anyway (the offer's life), where
    # estimated, else those the chance column says stay
    buying = _chance(contact, "p_buy_90d" if "p_buy_90d" in contact.columns else chance_column)
    coupon = economics.coupon_share if entry.coupon else 0.0
    if entry.effect == "retain":
        base = float((clv * (1.0 - chance)).sum())
        revenue_per_response, uplift = base, None
        # responders come from those who would not buy; the rest would buy anyway, coupon too
        coupon_per_response = coupon * float(((1.0 - buying) * order_value).sum())
        natural_coupon = coupon * float((buying * order_value).sum())
    else:
        base = float(clv.sum())
        revenue_per_response, uplift = base * entry.uplift, entry.uplift
        coupon_per_response = coupon * float(order_value.sum())
        natural_coupon = 0.0
    return PlayEconomics(
        contacts=contacts, response=response, response_label=response_label, uplift=uplift,
        base_value=base, revenue_per_response=revenue_per_response,
        gross_margin=economics.gross_margin, margin_label=economics.label("gross_margin"),
        channel=entry.channel,
        contact_cost=contacts * float(getattr(economics.contact_cost, entry.channel)),
        fixed_cost=economics.campaign_cost, coupon_per_response=coupon_per_response,
        natural_coupon_cost=natural_coupon, cost_label=_cost_label(entry, economics),
    )


def _chance(contact: pl.DataFrame, column: str | None) -> pl.Series:
    """Each customer's chance from `column` (a missing estimate at the mean; 0 without one)."""
    if column is None or column not in contact.columns:
        return pl.Series([0.0] * contact.height, dtype=pl.Float64)
    values = contact[column].cast(pl.Float64)
    return values.fill_null(values.mean()).fill_null(0.0).clip(0.0, 1.0)


def _cost_label(entry: PlaybookEntry, economics: EconomicsConfig) -> str:
    """Whether the play's costs are set for the unit or assumed."""
    parts = [f"contact_cost.{entry.channel}", "campaign_cost"]
    if entry.coupon:
        parts.append("coupon_share")
    labels = {economics.label(part) for part in parts}
    if labels == {"set for this unit"}:
        return "set for this unit"
    return "assumed" if labels == {"assumed"} else "partly assumed"
