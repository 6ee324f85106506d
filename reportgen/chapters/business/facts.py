"""Facts of the business profile."""

from __future__ import annotations

from reportgen.playbook.facts import FactSpec

FACT_SPECS = (
    FactSpec("business.profile", "text", "Who the unit sells to: wholesale or consumer (chooses "
             "the playbook's plays)", "profile"),
    FactSpec("business.explanation", "text", "How the profile was set or inferred",
             "explanation"),
)
