"""The recommendations chapter: the playbook's fired entries, ranked, with their evidence,
economics and control groups; the plays that do not pay; the business profile and the costs
they rest on.

The playbook (`reportgen.playbook`) runs after every chapter's facts; this chapter only lays
out its outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportgen.chapters.base import Chapter, Section, SectionInputs, Text
from reportgen.chapters.measurement.analysis import MeasurementResult
from reportgen.display.formatting import money
from reportgen.playbook.evaluate import Recommendation


@dataclass(frozen=True)
class Assumption:
    """One figure the values rest on, and whether it is set for the unit or assumed."""

    name: str
    value: str
    basis: str


@dataclass(frozen=True)
class RecommendationsView:
    """What the recommendations page shows beside the ranked recommendations."""

    not_worth_it: tuple[Recommendation, ...]
    business: str | None  # wholesale or consumer
    business_explanation: str | None
    economics: tuple[Assumption, ...]
    measurement_page: bool  # the report has a "Did earlier actions work?" page
    control_groups_off: bool  # playbook.control_share 0 and no play's own share
    no_action: int  # customers in no list
    # the most common reasons, with the play considered (None: no play is for them) and counts
    no_action_reasons: tuple[tuple[str | None, str, int], ...]


class RecommendationsChapter(Chapter[Text], key="recommendations", title="Recommendations"):
    """Recommendations: the page shows the report's recommendations (ReportContext.
    recommendations) and this chapter's view of the rest of the playbook's outcome."""

    def compute(self, inputs: Any) -> Text:
        """Nothing to compute: the playbook runs after every chapter's facts."""
        return Text()

    def section(self, result: Text, inputs: SectionInputs) -> Section[RecommendationsView]:
        """The page's view of the playbook's outcome."""
        outcome = inputs.playbook
        economics = inputs.config.economics
        currency = inputs.config.currency
        costs = economics.contact_cost
        figures = (
            Assumption("Gross margin", f"{economics.gross_margin:.0%}",
                       economics.label("gross_margin")),
            Assumption("Email", money(costs.email, currency, decimals=2),
                       economics.label("contact_cost.email")),
            Assumption("Call", money(costs.call, currency, decimals=2),
                       economics.label("contact_cost.call")),
            Assumption("Letter", money(costs.letter, currency, decimals=2),
                       economics.label("contact_cost.letter")),
            Assumption("Discount of an offer", f"{economics.coupon_share:.0%} of the order",
                       economics.label("coupon_share")),
            Assumption("Fixed cost of a campaign", money(economics.campaign_cost, currency),
                       economics.label("campaign_cost")),
        )
        measurement = inputs.results.get("measurement", MeasurementResult)
        table = outcome.no_action
        reasons: tuple[tuple[str | None, str, int], ...] = ()
        if table is not None and table.height:
            counts = table.group_by("play", "reason").len().sort(
                ["len", "play", "reason"], descending=[True, False, False], nulls_last=True)
            reasons = tuple((play, str(reason), int(n))
                            for play, reason, n in counts.head(6).iter_rows())
        profile = outcome.facts.get("business.profile")
        explanation = outcome.facts.get("business.explanation")
        return Section(RecommendationsView(
            not_worth_it=outcome.not_worth_it,
            business=str(profile) if profile is not None else None,
            business_explanation=str(explanation) if explanation is not None else None,
            economics=figures,
            measurement_page=measurement is not None and measurement.has_page,
            control_groups_off=inputs.config.playbook.control_share == 0 and not any(
                inputs.config.playbook.control_shares.values()),
            no_action=table.height if table is not None else 0,
            no_action_reasons=reasons,
        ))
