"""The whole UK 2011-11 report against the rendering floor for the same charts and pages.

The report: `build_report` for config/uk.yaml (every chapter, charts, HTML, PDF and email),
timed per stage. The floor, measured right after in the same process: as many plain Altair bar
charts as the report has, rendered through vl-convert to SVG, and WeasyPrint laying out those
SVGs with a plain table long enough to fill the report's page count — what any tool producing
this report from finished tables must at least spend. Targets (issue 19): the report at most
2x the floor and under 10 s. Skipped when ../shared is absent.
"""

from __future__ import annotations

import time

import altair as alt
import polars as pl

from benchmarks.aggregation import UCI
from reportgen.config import load_unit_config
from reportgen.paths import CONFIG_DIR
from reportgen.period import Period
from reportgen.pipeline import build_report
from reportgen.report.render import Renderer

ROWS_PER_PAGE = 45  # plain table rows on an A4 page of the floor document


def floor_charts(count: int) -> list[dict[str, object]]:
    """`count` bar charts of twelve months, as Vega-Lite specs."""
    table = pl.DataFrame({"month": [f"2011-{m:02d}" for m in range(1, 13)],
                          "revenue": [float(m * 1000) for m in range(1, 13)]}).to_pandas()
    return [alt.Chart(table, width=480, height=200, title=f"Chart {i}").mark_bar()
            .encode(x="month:N", y="revenue:Q").to_dict() for i in range(count)]


def floor_html(svgs: list[str], rows: int) -> str:
    """A document of the charts and a table of `rows` rows."""
    body = "".join(f"<figure>{svg}</figure>" for svg in svgs)
    table = "".join(f"<tr><td>{i}</td><td>Customer {i}</td><td>£{i * 7.5:,.2f}</td></tr>"
                    for i in range(rows))
    return (f"<html><head><style>@page {{ size: A4; margin: 2cm }} figure {{ margin: 0 }}"
            f"</style></head><body>{body}<table>{table}</table></body></html>")


def rendering_floor(charts: int, pages: int) -> tuple[float, float, int]:
    """Seconds for the charts, for the PDF, and the floor document's page count."""
    renderer = Renderer()
    specs = floor_charts(charts)
    renderer.chart_png(specs[0])  # vl-convert's start-up, which the report also paid
    started = time.perf_counter()
    svgs = [str(renderer.chart_svg(spec, f"c{i}")) for i, spec in enumerate(specs)]
    drawing = time.perf_counter() - started
    chart_pages = renderer.pdf(floor_html(svgs, 0))[1]
    rows = max(0, pages - chart_pages) * ROWS_PER_PAGE
    started = time.perf_counter()
    _, floor_pages = renderer.pdf(floor_html(svgs, rows))
    return drawing, time.perf_counter() - started, floor_pages


def main() -> None:
    """The report's stage timings, the floor, and the ratio."""
    if not UCI.exists():
        print(f"skipped: {UCI} not found (the shared UCI data)")
        return
    config = load_unit_config(CONFIG_DIR / "uk.yaml")
    started = time.perf_counter()
    report = build_report(config, Period(2011, 11))
    total = time.perf_counter() - started
    charts = len(report.context.charts)
    drawing, laying_out, floor_pages = rendering_floor(charts, report.pdf_pages)
    floor = drawing + laying_out
    stages = sorted(report.seconds.items(), key=lambda item: -item[1])
    print(f"UK 2011-11 report: {total:.1f} s, {report.pdf_pages} pages, {charts} charts")
    print("  slowest stages: " + ", ".join(f"{name} {seconds:.1f} s"
                                           for name, seconds in stages[:6]))
    print(f"rendering floor: {floor:.1f} s ({charts} charts {drawing:.1f} s, "
          f"{floor_pages} pages of PDF {laying_out:.1f} s)")
    print(f"report / floor: {total / floor:.1f}x (target <= 2x; and report <= 10 s)")


if __name__ == "__main__":
    main()
