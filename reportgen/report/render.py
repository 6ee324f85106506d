"""Turn a ReportContext into files: charts to SVG and PNG offline, Jinja2 templates, WeasyPrint.

vl-convert and WeasyPrint are imported when first used, so commands that render nothing start
fast. `Renderer` is the one seam: tests that do not look at charts or the PDF use a lighter
subclass.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import jinja2
from markupsafe import Markup

from reportgen.display.charts import ChartSpec
from reportgen.models.cores import one_core_to_itself
from reportgen.paths import ASSETS_DIR
from reportgen.report.templates import template_environment
from reportgen.segment_catalogue import swatch_css

if TYPE_CHECKING:  # the context imports every chapter; rendering needs only its fields
    from reportgen.report.context import ReportContext

FONT_FILES = {
    ("normal", 300): "Lato-Light.ttf",
    ("normal", 400): "Lato-Regular.ttf",
    ("italic", 400): "Lato-Italic.ttf",
    ("normal", 700): "Lato-Bold.ttf",
    ("normal", 900): "Lato-Black.ttf",
}
EMAIL_CHARTS = ("revenue_trend", "segment_share")


class Renderer:
    """Renders the report's HTML, PDF and summary email from its context."""

    def __init__(self, loader: jinja2.BaseLoader | None = None) -> None:
        self.env = template_environment(loader)
        self.failed_charts: dict[str, str] = {}  # charts that could not be drawn, and why

    def drawn_svg(self, spec: ChartSpec, key: str) -> Markup:
        """The chart's SVG, or a one-line notice in its place when it cannot be drawn (the
        failure is recorded: the run then ends with a warning)."""
        try:
            return self.chart_svg(spec, key)
        except Exception as exc:  # a broken chart must not cost the whole report
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            self.failed_charts[key] = reason[:200]
            return Markup('<p class="chart-missing">This chart could not be drawn ({}).</p>'
                          ).format(self.failed_charts[key])

    def drawn_png(self, spec: ChartSpec, key: str) -> bytes | None:
        """The chart's PNG for the email, or None when it cannot be drawn (recorded)."""
        try:
            return self.chart_png(spec)
        except Exception as exc:  # the email goes without this image
            self.failed_charts[key] = f"{type(exc).__name__}: {exc}"[:200]
            return None

    def chart_svg(self, spec: ChartSpec, key: str) -> Markup:
        """A chart as inline SVG, rendered offline; element ids are prefixed by key."""
        import vl_convert

        _register_fonts()
        svg = vl_convert.vegalite_to_svg(spec, allowed_base_urls=[])
        return Markup(stable_svg_ids(svg, key))

    def chart_png(self, spec: ChartSpec) -> bytes:
        """A chart as PNG at twice the size, for the email."""
        import vl_convert

        _register_fonts()
        png: bytes = vl_convert.vegalite_to_png(spec, scale=2, allowed_base_urls=[])
        return png

    def chart_svgs(self, context: ReportContext) -> dict[str, Markup]:
        """Every chart of the report as inline SVG, by key."""
        return {key: self.drawn_svg(chart.spec, key) for key, chart in context.charts.items()}

    def html(self, context: ReportContext, charts: dict[str, Markup], board: bool = False
             ) -> str:
        """The report as one self-contained HTML document, with the charts as chart_svgs drew
        them: every page, or with `board` the board pack's (`ChapterPage.board`)."""
        pages = [page for page in context.chapters if page.board or not board]
        return self.env.get_template("report.html.j2").render(
            **template_variables(context),
            pages=pages,
            board=board,
            chart_svgs=charts,
            font_faces=font_face_css(),
            stylesheet=Markup((ASSETS_DIR / "report.css").read_text(encoding="utf-8") + "\n"
                              + swatch_css()),
        )

    def warm_up(self) -> None:
        """Start vl-convert's JavaScript engine with a one-bar chart (0.5 s), load WeasyPrint
        and lay out one line in the report's fonts (0.7 s), so that `charts` and `pdf` start
        warm; run beside the analyses, which wait on native code most of the time. Does
        nothing for a renderer that lays out no PDF of its own, or where the process has one
        core to itself (POLARS_MAX_THREADS=1, as make test runs): there the head start would
        take the analyses' core. Never fails (it is only a head start)."""
        if type(self).pdf is not Renderer.pdf or one_core_to_itself():
            return  # no PDF of its own, or one core to itself (make test's workers): no gain
        try:
            self.chart_svg({"data": {"values": [{"x": 1}]}, "mark": "bar",
                            "encoding": {"y": {"field": "x", "type": "quantitative"}}}, "warm")
            from weasyprint import HTML

            logging.getLogger("weasyprint").setLevel(logging.ERROR)
            HTML(string=f"<style>{font_face_css()}</style><p style=\"font-family: Lato\">"
                 "Report <b>figures</b> <i>explained</i></p>",
                 url_fetcher=assets_only_fetcher()).write_pdf()
        except Exception:  # the PDF stage reports any real problem itself
            return

    def pdf(self, html: str) -> tuple[bytes, int]:
        """The HTML laid out as an A4 PDF; its bytes and page count."""
        from weasyprint import HTML

        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        document = HTML(
            string=svg_as_images(html), base_url=str(ASSETS_DIR) + "/", url_fetcher=assets_only_fetcher()
        ).render()
        pdf = document.write_pdf()
        assert isinstance(pdf, bytes)
        return pdf, len(document.pages)

    def email(self, context: ReportContext) -> dict[str, bytes]:
        """The summary email's HTML (inline styles), plain text and chart PNGs, by file name.

        Images are referenced as cid:<name>.png; the deliver step attaches each PNG with that
        Content-ID.
        """
        charts = context.charts
        drawn = {key: self.drawn_png(charts[key].spec, key) for key in EMAIL_CHARTS
                 if key in charts}
        images = {key: png for key, png in drawn.items() if png is not None}
        image_ids = {key: f"{key}.png" for key in images}
        variables = template_variables(context)
        html = inline_css(self.env.get_template("email.html.j2").render(**variables,
                                                                          image_ids=image_ids))
        text = self.env.get_template("email.txt.j2").render(**variables)
        parts = {"email/summary.html": html.encode("utf-8"),
                 "email/summary.txt": text.encode("utf-8")}
        parts.update({f"email/{image_ids[key]}": png for key, png in images.items()})
        return parts


def inline_css(html: str) -> str:
    """The email's stylesheet moved into style attributes, as mail clients need; @media rules
    (the phone layout) stay in a <style> block. Nothing is fetched."""
    import css_inline

    inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
    return str(inliner.inline(html))


@cache
def _register_fonts() -> None:
    import vl_convert

    vl_convert.register_font_directory(str(ASSETS_DIR / "fonts"))


def stable_svg_ids(svg: str, key: str) -> str:
    """Renumber the SVG's element ids as key-1, key-2, ...

    vl-convert numbers clip paths with a process-wide counter, which would make the same
    report differ byte for byte between runs, and inline SVGs sharing an id clash.
    """
    ids = list(dict.fromkeys(re.findall(r'\bid="([^"]+)"', svg)))
    renamed = {old: f"{key}-{index}" for index, old in enumerate(ids, start=1)}
    if not renamed:
        return svg
    pattern = re.compile(
        r'(\bid="|url\(#|href="#)(' + "|".join(map(re.escape, ids)) + r')(?=[")])'
    )
    return pattern.sub(lambda m: m.group(1) + renamed[m.group(2)], svg)


INLINE_SVG = re.compile(r"<svg\b[^>]*>.*?</svg>", re.DOTALL)


def svg_as_images(html: str) -> str:
    """Each inline SVG as an <img> with the SVG as a data URI, for WeasyPrint: it then parses
    a chart as one image instead of thousands of HTML elements with computed styles (the UK
    report's PDF: 13.2 s -> 9.8 s), and draws it the same."""
    def image(match: re.Match[str]) -> str:
        svg = match.group(0)
        size = " ".join(f'{name}="{value}"' for name, value in re.findall(
            r'\b(width|height)="([\d.]+)"', svg.split(">", 1)[0]))
        data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        return f'<img {size} alt="" src="data:image/svg+xml;base64,{data}">'
    return INLINE_SVG.sub(image, html)


def font_face_css() -> Markup:
    """@font-face rules with the report fonts embedded, so the HTML is self-contained."""
    rules = []
    for (style, weight), name in FONT_FILES.items():
        data = base64.b64encode((ASSETS_DIR / "fonts" / name).read_bytes()).decode("ascii")
        rules.append(
            f"@font-face {{ font-family: 'Lato'; font-style: {style}; font-weight: {weight}; "
            f"src: url(data:font/ttf;base64,{data}) format('truetype'); }}"
        )
    return Markup("\n".join(rules))


def template_variables(context: ReportContext) -> dict[str, Any]:
    """What every template sees: the context's fields by name, and each chapter's view."""
    fields = {field.name: getattr(context, field.name) for field in dataclasses.fields(context)}
    return {**fields, "views": context.views}


def assets_only_fetcher(root: Path = ASSETS_DIR) -> Any:
    """A WeasyPrint URL fetcher that reads data: URIs and the report assets, nothing else."""
    from weasyprint.urls import URLFetcher

    class AssetsOnlyFetcher(URLFetcher):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data", "file"), timeout=1)
            self.root = root.resolve()

        def fetch(self, url: str, headers: Any = None) -> Any:
            parsed = urlparse(url)
            if parsed.scheme == "file":
                path = Path(unquote(parsed.path)).resolve()
                if not path.is_relative_to(self.root):
                    raise ValueError(f"report may not read {url}: outside the report assets")
            elif parsed.scheme != "data":
                raise ValueError(f"report may not fetch {url}: no network access")
            return super().fetch(url, headers)

    return AssetsOnlyFetcher()
