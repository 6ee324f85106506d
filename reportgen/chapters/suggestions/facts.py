"""Facts of the suggestions chapter: how well the suggestions did in the backtest, and the
strongest product pair."""

from __future__ import annotations

from reportgen.playbook.facts import FactSpec

FACT_SPECS = (
    FactSpec("suggestions.hit_rate", "share",
             "Backtest: share of tested customers who bought one of their suggested products "
             "(the method in use)", "hit_rate"),
    FactSpec("suggestions.popularity_hit_rate", "share",
             "Backtest: the same share for the best sellers, on the same customers",
             lambda r: r.backtest.popularity.hit_rate if r.backtest else None),
    FactSpec("suggestions.lift", "number",
             "Backtest: the method's hit rate over popularity's (only when the method is used)",
             lambda r: r.backtest.lift if r.backtest and r.method != "popularity" else None),
    FactSpec("suggestions.customers", "count", "Customers with suggestions", "active_customers"),
    FactSpec("suggestions.top_pair", "text", "The pair of products with the highest affinity",
             lambda r: (f"{r.pairs['description_a'][0]} and {r.pairs['description_b'][0]}"
                        if r.pairs.height else None)),
    FactSpec("suggestions.top_pair_customers", "count", "Customers who bought both of that pair",
             lambda r: r.pairs["customers_both"][0] if r.pairs.height else None),
)
