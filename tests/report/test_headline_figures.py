"""Each headline figure is computed once: report, email, manifest and facts show the same."""

from __future__ import annotations

import html as html_text
import json
import re

import pytest

from reportgen.display.formatting import money, number, segment_label
from reportgen.pipeline import RunResult

KPIS = (("Revenue", "revenue", "kpi.revenue", "money"),
        ("Orders", "orders", "kpi.orders", "count"),
        ("Active customers", "active_customers", "kpi.active_customers", "count"),
        ("New customers", "new_customers", "kpi.new_customers", "count"))


@pytest.fixture(scope="module")
def outputs(demo_report: RunResult) -> dict[str, str]:
    folder = demo_report.folder
    return {
        "report": html_text.unescape((folder / "report.html").read_text()),
        "email_html": html_text.unescape((folder / "email" / "summary.html").read_text()),
        "email_text": (folder / "email" / "summary.txt").read_text(),
        "manifest": (folder / "manifest.json").read_text(),
    }


def pounds(value: float) -> str:
    """An amount as the demo unit (GBP) prints it."""
    return money(value, "GBP")


def shown(value: float, kind: str) -> str:
    return pounds(value) if kind == "money" else number(value)


def test_kpis_are_the_same_everywhere(outputs: dict[str, str]) -> None:
    manifest = json.loads(outputs["manifest"])
    for label, key, fact, kind in KPIS:
        value = manifest["kpis"][key]
        assert manifest["facts"][fact] == value, label
        text = shown(value, kind)
        assert re.search(rf'kpi-label">{label}</p>\s*<p class="kpi-value">{re.escape(text)}<',
                         outputs["report"]), label
        assert re.search(rf">{label}</div>\s*<div[^>]*>{re.escape(text)}</div>",
                         outputs["email_html"]), label
        assert f"{label}: {text}" in outputs["email_text"], label


def test_total_clv_is_the_same_everywhere(outputs: dict[str, str]) -> None:
    manifest = json.loads(outputs["manifest"])
    total = manifest["clv"]["total_clv"]
    assert total > 0 and manifest["facts"]["clv.total"] == total
    low, high = manifest["clv"]["clv_interval"]
    assert low <= total <= high
    grade = manifest["clv"]["grade"]["letter"]
    headline = (f"Customers are expected to spend {pounds(total)} (90 % range {pounds(low)} – "
                f"{pounds(high)}) over the next 12 months, forecast grade {grade}")
    # in the report's headlines; the email carries the month's story and actions instead
    assert headline in outputs["report"]
    assert re.search(rf'Expected value, next 12 months</p><p class="kpi-value">'
                     rf"{re.escape(pounds(total))}<", outputs["report"])


def test_segment_sizes_are_the_same_everywhere(outputs: dict[str, str]) -> None:
    # (the email shows the segment chart, not the table)
    manifest = json.loads(outputs["manifest"])
    sizes = manifest["segments"]
    assert sum(sizes.values()) > 100
    for name, customers in sizes.items():
        assert manifest["facts"][f"segment_count.{name}"] == customers, name
        label, count = segment_label(name), number(customers)
        assert re.search(rf'swatch-{name}"></span>{re.escape(label)}</td>\s*<td>{count}</td>',
                         outputs["report"]), name

