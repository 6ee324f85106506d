"""Facts of the trends and cohorts chapter: retention and the peak month."""

from __future__ import annotations

from reportgen.playbook.facts import FactSpec

FACT_SPECS = (
    FactSpec("retention.m1", "share", "Average share of a cohort buying again one period on",
             "retention_after_1"),
    FactSpec("retention.m3", "share", "Average share of a cohort buying three periods on",
             "retention_after_3"),
    FactSpec("retention.m3_drop", "points", "Retention lost between +1 and +3", "retention_drop"),
    FactSpec("peak_month", "text", "Calendar month with the highest average revenue",
             lambda r: r.peak_month or None),
    FactSpec("peak_month_lift", "number", "Peak month revenue over the average month",
             lambda r: r.peak_month_lift if r.peak_month else None),
    FactSpec("months_to_peak", "count", "Months from the report's month to the peak month "
             "(0 in it, 11 the month after)", "months_to_peak"),
)
