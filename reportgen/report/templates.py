"""The Jinja environment: autoescape, undefined names are errors, and the formatting filters."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jinja2

from reportgen.display import formatting
from reportgen.paths import TEMPLATES_DIR


def template_environment(loader: jinja2.BaseLoader | None = None) -> jinja2.Environment:
    """Jinja environment over the project's templates (or `loader`): autoescape on, undefined
    names are errors, formatting filters."""
    env = jinja2.Environment(
        loader=loader or jinja2.FileSystemLoader(TEMPLATES_DIR),
        # HTML is escaped; the email's plain-text part (*.txt.j2) is text, not markup.
        autoescape=jinja2.select_autoescape(disabled_extensions=("txt.j2",), default=True,
                                            default_for_string=True),
        undefined=jinja2.StrictUndefined,
        finalize=formatting.without_bidi_controls,  # every printed value
        trim_blocks=True,
        lstrip_blocks=True,
    )
    for name in NONE_SAFE_BUILTINS:
        env.filters[name] = none_safe(env.filters[name])
    env.filters.update(
        money=formatting.money,
        figure=formatting.figure,
        number=formatting.number,
        pct=formatting.pct,
        change=formatting.change,
        points=formatting.points,
        cell=formatting.cell,
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
