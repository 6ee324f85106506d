"""Turn a ReportContext into HTML and PDF: charts to SVG offline, Jinja2 templates, WeasyPrint."""

from __future__ import annotations

import base64
import dataclasses
import functools
import logging
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import jinja2
import vl_convert
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from reportgen import formatting
from reportgen.charts import ChartSpec
from reportgen.context import ReportContext
from reportgen.paths import ASSETS_DIR, TEMPLATES_DIR

FONT_FILES = {
    ("normal", 300): "Lato-Light.ttf",
    ("normal", 400): "Lato-Regular.ttf",
    ("italic", 400): "Lato-Italic.ttf",
    ("normal", 700): "Lato-Bold.ttf",
    ("normal", 900): "Lato-Black.ttf",
}


def template_environment(templates_dir: Path = TEMPLATES_DIR) -> jinja2.Environment:
    """Jinja environment: autoescape on, undefined names are errors, formatting filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    for name in NONE_SAFE_BUILTINS:
        env.filters[name] = none_safe(env.filters[name])
    env.filters.update(
        money=formatting.money,
        number=formatting.number,
        pct=formatting.pct,
        change=formatting.change,
        day=formatting.day,
        segment_label=none_safe(formatting.segment_label),
    )
    return env


# Jinja's own filters that fail on None; a missing value must print as "–", never crash.
NONE_SAFE_BUILTINS = ("truncate", "lower", "upper", "capitalize", "title", "trim", "replace",
                      "join", "format", "length", "first", "last", "wordwrap", "center")


def none_safe(jinja_filter: Callable[..., Any]) -> Callable[..., Any]:
    """The filter, printing formatting.MISSING when its value is None."""
    # Filters marked pass_context / pass_environment take that object first; functools.wraps
    # keeps the mark (jinja_pass_arg) so Jinja still passes it.
    skip = 1 if getattr(jinja_filter, "jinja_pass_arg", None) else 0

    @functools.wraps(jinja_filter)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if len(args) > skip and args[skip] is None:
            return formatting.MISSING
        return jinja_filter(*args, **kwargs)

    return guarded


@cache
def _register_fonts() -> None:
    vl_convert.register_font_directory(str(ASSETS_DIR / "fonts"))


def chart_svg(spec: ChartSpec, key: str) -> Markup:
    """Render a Vega-Lite spec to SVG without network access; element ids are prefixed by key."""
    _register_fonts()
    svg = vl_convert.vegalite_to_svg(spec, allowed_base_urls=[])
    return Markup(stable_svg_ids(svg, key))


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
    """The context's fields by name: what every template sees."""
    return {field.name: getattr(context, field.name) for field in dataclasses.fields(context)}


def render_html(
    context: ReportContext, draw: Callable[[ChartSpec, str], Markup] = chart_svg
) -> str:
    """Render the full report as one self-contained HTML document (charts drawn by `draw`)."""
    env = template_environment()
    charts = {key: draw(chart.spec, key) for key, chart in context.charts.items()}
    return env.get_template("report.html.j2").render(
        **template_variables(context),
        chart_svgs=charts,
        font_faces=font_face_css(),
        stylesheet=Markup((ASSETS_DIR / "report.css").read_text(encoding="utf-8")),
    )


class AssetsOnlyFetcher(URLFetcher):  # type: ignore[misc]
    """Let WeasyPrint read data: URIs and files under the report assets; nothing else."""

    def __init__(self, root: Path = ASSETS_DIR) -> None:
        super().__init__(allowed_protocols=("data", "file"), timeout=1)
        self.root = root.resolve()

    def fetch(self, url: str, headers: Any = None) -> Any:
        """Fetch a data: URI or an asset file; refuse everything else."""
        parsed = urlparse(url)
        if parsed.scheme == "file":
            path = Path(unquote(parsed.path)).resolve()
            if not path.is_relative_to(self.root):
                raise ValueError(f"report may not read {url}: outside the report assets")
        elif parsed.scheme != "data":
            raise ValueError(f"report may not fetch {url}: no network access")
        return super().fetch(url, headers)


def render_pdf(html: str) -> tuple[bytes, int]:
    """Lay out the HTML as an A4 PDF; return its bytes and page count."""
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    document = HTML(
        string=html, base_url=str(ASSETS_DIR) + "/", url_fetcher=AssetsOnlyFetcher()
    ).render()
    pdf = document.write_pdf()
    assert isinstance(pdf, bytes)
    return pdf, len(document.pages)


EMAIL_CHARTS = ("revenue_trend", "segment_share", "backtest")


def render_email_parts(context: ReportContext) -> dict[str, bytes]:
    """The summary email's HTML (inline styles), plain text and chart PNGs, by file name.

    Images are referenced as cid:<name>.png; the deliver step attaches each PNG with that
    Content-ID.
    """
    env = template_environment()
    _register_fonts()
    images = {
        key: vl_convert.vegalite_to_png(context.charts[key].spec, scale=2, allowed_base_urls=[])
        for key in EMAIL_CHARTS if key in context.charts
    }
    image_ids = {key: f"{key}.png" for key in images}
    variables = template_variables(context)
    html = env.get_template("email.html.j2").render(**variables, image_ids=image_ids)
    text = env.get_template("email.txt.j2").render(**variables)
    parts = {"email/summary.html": html.encode("utf-8"), "email/summary.txt": text.encode("utf-8")}
    parts.update({f"email/{image_ids[key]}": png for key, png in images.items()})
    return parts
