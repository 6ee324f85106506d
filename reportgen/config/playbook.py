"""The playbook file's schema: recommendations as entries, their audiences and options."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from reportgen.config.base import StrictModel
from reportgen.config.economics import Channel

Business = Literal["wholesale", "consumer"]


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
    overdue: bool | None = Field(
        None, description="true: only customers whose time since their last order exceeds "
        "their own usual gap between orders (usual_gap_days) by playbook.overdue_factor; "
        "false: only those still within it.")
    min_value_quantile: float | None = Field(
        None, ge=0, le=1, description="Only customers whose value (forecast CLV where "
        "estimated, else their last 12 months' revenue) is at least this quantile of every "
        "customer's: 0.5 keeps the above-median half.")


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
        "spend (incremental value = response x uplift x the audience's CLV).")
    response: float = Field(
        0.1, ge=0, le=1, description="Assumed share of the contacted customers who would not "
        "have bought without the play and respond to it (an assumption, labelled so in the "
        "report, until measured on earlier campaigns against their control groups).")
    uplift: float = Field(
        0.05, ge=0, le=5, description="For effect uplift: assumed increase of a responding "
        "customer's expected spend over the CLV horizon, as a share of it (the play adds "
        "response x uplift of the contacted customers' value).")
    channel: Channel = Field(
        "email", description="How customers are contacted (email, call, letter): sets the cost "
        "per contact from economics.contact_cost.")
    coupon: bool = Field(
        False, description="The play offers a discount: economics.coupon_share of each "
        "responder's order is a cost.")
    business: list[Business] | None = Field(
        None, description="The business profiles the play suits (wholesale, consumer); "
        "omitted: both. A play for another profile does not fire.")
    control_share: float | None = Field(
        None, ge=0, lt=1, description="Share of this action's customers held out as a control "
        "group (not to be contacted); default: the unit's playbook.control_share.")

    @model_validator(mode="after")
    def _insight_has_no_audience(self) -> PlaybookEntry:
        if self.id == "no_action":
            raise ValueError("'no_action' names the list of customers in no action "
                             "(actions/no_action.csv); give the entry another id")
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


class NeverHeldOut(StrictModel):
    """Customers always contacted, never drawn into a control group."""

    top_accounts: int = Field(
        0, ge=0, description="The unit's largest accounts by revenue over the last 12 months: "
        "always contacted, reported as unmeasured.")


class HoldOutOptions(StrictModel):
    """Control-group sizing: stratified by value, and large enough to measure."""

    never: NeverHeldOut = Field(default_factory=NeverHeldOut,
                                description="Customers never held out.")
    power: float = Field(0.8, gt=0, lt=1, description="Chance of detecting the play's "
                         "assumed response when it is real.")
    significance: float = Field(0.05, gt=0, lt=1, description="Two-sided significance level "
                                "of the comparison of contacted and control customers.")
    pool_months: int = Field(
        12, ge=1, le=60, description="A play too small to measure in one month keeps its "
        "control group when its lists pooled over at most this many months would detect the "
        "expected effect; otherwise it holds out no one.")
    max_share: float = Field(
        0.25, gt=0, lt=1, description="The largest share of a list held out to reach the power "
        "in one month; a play that would need more keeps its configured share and is measured "
        "over several months' lists, or, if not even a year's would do, holds out no one.")


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

    overdue_factor: float = Field(
        1.5, ge=1, description="A customer is overdue when the days since their last order "
        "exceed their usual gap between orders times this.")
    hold_out: HoldOutOptions = Field(
        default_factory=lambda: HoldOutOptions(),
        description="Who may be held out in control groups and how large the groups must be.")

    @field_validator("control_shares")
    @classmethod
    def _shares_in_range(cls, shares: dict[str, float]) -> dict[str, float]:
        for play, share in shares.items():
            if not 0 <= share < 1:
                raise ValueError(f"control share of '{play}' must be at least 0 and below 1")
        return shares
