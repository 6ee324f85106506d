"""Measured response: earlier months' action lists, contacted customers against their control
group, over each list's measurement window; and the measured responses the playbook uses."""

from __future__ import annotations

from typing import Any

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.chapters.measurement.analysis import MeasurementResult, measurement_analysis
from reportgen.chapters.measurement.section import MeasurementView, measurement_section
from reportgen.playbook.control import MeasuredResponse


class MeasurementChapter(Chapter[MeasurementResult], key="measurement",
                         title="Did earlier actions work?"):
    """Did earlier actions work?"""

    def measured_responses(self, result: MeasurementResult) -> dict[str, MeasuredResponse]:
        """The responses measured on earlier lists, for the playbook."""
        return result.measured_responses

    def compute(self, inputs: AnalysisInputs) -> MeasurementResult | None:
        """Measure the unit's earlier action lists; None when switched off."""
        params = inputs.config.measurement
        if not params.enabled:
            return None
        return measurement_analysis(inputs.clean.orders, inputs.earlier, inputs.period,
                                    inputs.config.unit, params)

    def section(self, result: MeasurementResult, inputs: SectionInputs
                ) -> Section[MeasurementView] | None:
        """The measurement page, when there is something to measure or report."""
        return measurement_section(result, inputs)

    def manifest(self, result: MeasurementResult) -> dict[str, Any]:
        """action_results: one entry per earlier list measured."""
        return {"action_results": [
            {
                "period": str(c.period), "play": c.play, "carried_out": c.carried_out,
                "sent": c.sent.date().isoformat() if c.sent else None,
                "measured_from": c.start.date().isoformat(),
                "measured_until": c.measured_until.date().isoformat(),
                "complete": c.complete,
                "contact": c.contact.customers, "control": c.control.customers,
                "response_contact": c.contact.response,
                "response_control": c.control.response if c.control.customers else None,
                "response_difference": c.response_difference,
                "response_interval": list(c.response_interval) if c.response_interval else None,
                "revenue_per_customer_contact": c.contact.revenue_per_customer,
                "revenue_per_customer_control": (c.control.revenue_per_customer
                                                 if c.control.customers else None),
                "incremental_revenue": c.incremental_revenue,
                "interval": list(c.incremental_interval) if c.incremental_interval else None,
                "significant": c.significant,
                "not_in_data": c.not_in_data,
                "note": c.note,
            }
            for c in result.campaigns
        ], "measured_responses": {
            play: {"response": m.response, "uplift": m.uplift, "campaigns": m.campaigns}
            for play, m in result.measured_responses.items()
        }, "measurement_problems": list(result.problems)}
