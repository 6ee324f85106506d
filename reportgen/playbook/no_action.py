"""Every customer decided: those in no action list, each with the reason (`actions/no_action.csv`).

A customer's reason comes from the first play that is for them (its segments, lapsing or
not, new or not) — the plays that made a list first, then those that do not pay, then those
that did not fire, each in the playbook's priority order: the condition of that play they fail ("likely to
buy without contact", "not overdue", "below the value threshold"), or why the play made no
list this month (its trigger did not hold, it does not pay at these costs). A customer no play
is for is said to be so, with their segment.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from reportgen.playbook.audience import AudienceConditions

NO_ACTION_FILE = "actions/no_action.csv"
NO_ACTION_COLUMNS = ("customer_id", "segment", "play", "reason", "recency_days",
                     "usual_gap_days", "p_buy_90d", "clv", "revenue_12m", "country")


@dataclass(frozen=True)
class Considered:
    """A play that could have taken the customer: its conditions, and why it made no list for
    them this month (None: it made a list, so the reason is the condition they fail)."""

    play: str
    conditions: AudienceConditions
    not_listed: str | None


def no_action_table(customers: pl.DataFrame, listed: pl.Series,
                    plays: list[Considered]) -> pl.DataFrame:
    """The customers of the audience table not among `listed` (customer ids in an action
    list), with the play considered for them and the reason they are in no list."""
    rest = customers.filter(~pl.col("customer_id").is_in(listed.implode()))
    reason: pl.Expr = pl.lit(None, dtype=pl.String)
    play: pl.Expr = pl.lit(None, dtype=pl.String)
    for considered in reversed(plays):  # the first play for them wins: built from the last
        because = (pl.lit(considered.not_listed) if considered.not_listed is not None
                   else _first_failing(considered.conditions))
        is_for = considered.conditions.is_for.fill_null(False)
        reason = pl.when(is_for).then(because).otherwise(reason)
        play = pl.when(is_for).then(pl.lit(considered.play)).otherwise(play)
    fallback = pl.format("no play this month is for the segment {}", pl.col("segment"))
    columns = [name for name in NO_ACTION_COLUMNS if name in rest.columns
               or name in ("play", "reason")]
    return (rest.with_columns(play.alias("play"),
                              pl.coalesce(reason, fallback).alias("reason"))
            .select(columns).sort("customer_id"))


def _first_failing(conditions: AudienceConditions) -> pl.Expr:
    """The reason of the first `which` condition a customer fails."""
    reason: pl.Expr = pl.lit("in a higher-priority play's audience")
    for condition in reversed(conditions.which):
        reason = pl.when(~condition.holds.fill_null(False)) \
            .then(pl.lit(condition.fails_because)).otherwise(reason)
    return reason
