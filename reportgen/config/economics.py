"""What an action costs and earns: the unit's margin and costs of contact (`economics:`).

Every default is an assumption, and the report says so: a figure the unit's YAML (or its
environment) sets is labelled "set for this unit", a default "assumed". The costs are in the
unit's currency; the defaults suit currencies of the size of the pound, dollar or euro.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reportgen.config.base import StrictModel

Channel = Literal["email", "call", "letter"]


class ContactCosts(StrictModel):
    """The cost of reaching one customer once, by channel, in the unit's currency."""

    email: float = Field(0.05, ge=0, description="One email sent (platform and production).")
    call: float = Field(8.0, ge=0, description="One personal call by an account manager or "
                        "customer service (about 15 minutes of staff time).")
    letter: float = Field(1.2, ge=0, description="One printed letter or card, posted.")


class EconomicsConfig(StrictModel):
    """Margin and costs that turn an action's expected revenue into expected profit."""

    gross_margin: float = Field(
        0.30, gt=0, le=1, description="Gross margin on incremental revenue: the share of a sale "
        "left after the cost of the goods sold.")
    contact_cost: ContactCosts = Field(default_factory=ContactCosts,
                                       description="Cost per contact by channel.")
    coupon_share: float = Field(
        0.10, ge=0, lt=1, description="For plays that carry an offer (coupon: true): the "
        "discount as a share of the order it is redeemed on, given on every responder's order.")
    campaign_cost: float = Field(
        250.0, ge=0, description="Fixed cost of running one campaign (set-up, creative, "
        "list handling), per action per month.")

    def label(self, field: str) -> str:
        """'set for this unit' when the unit's configuration gives the figure, else 'assumed'."""
        head, _, rest = field.partition(".")
        if head not in self.model_fields_set:
            return "assumed"
        if rest and rest not in self.contact_cost.model_fields_set:
            return "assumed"
        return "set for this unit"
