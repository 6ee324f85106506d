"""The built-in RFM segments, defined once: name, display label, what the segment is (relative
to the unit's other customers: the numbers it stands for each month are written beside it from
that month's cut-offs, never here) and colour. The segment map (`config.RfmConfig.segments`),
the pages, the charts, the report's swatches (`swatch_css`) and the glossary read them here;
a segment of a unit's own map falls back to its name, its configured description and grey."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SegmentStyle:
    """How a built-in segment is named, described and coloured."""

    name: str
    label: str
    description: str
    colour: str


SEGMENTS: tuple[SegmentStyle, ...] = (
    SegmentStyle("champions", "Champions", "The most recent buyers among those who order most "
                 "often: the best customers.", "#1f4e79"),
    SegmentStyle("loyal_customers", "Loyal customers", "Among those who order most often, less "
                 "recently than the champions; the backbone of repeat revenue.", "#2f6f9f"),
    SegmentStyle("potential_loyalists", "Potential loyalists", "Recent buyers with a middling "
                 "number of orders, who could become loyal.", "#5fa2c9"),
    # Not "New customers": that is the KPI of everyone buying for the first time this month;
    # nor "one-order buyers": where customers buy often, the fewest orders may be many.
    SegmentStyle("new_customers", "Recent, fewest orders", "The most recent buyers among those "
                 "with the fewest orders. Not the same as the month's new customers on the "
                 "summary, who are everyone buying for the first time.", "#2a9d8f"),
    SegmentStyle("promising", "Promising", "Fairly recent buyers with the fewest orders.",
                 "#8cc5b6"),
    SegmentStyle("need_attention", "Need attention", "Middling recency and number of orders; "
                 "slipping without a nudge.", "#e9c46a"),
    SegmentStyle("about_to_sleep", "About to sleep", "Fewer orders than most, and fading "
                 "recency.", "#f1a35c"),
    SegmentStyle("at_risk", "At risk", "Ordered more often than most, but not for a long time.",
                 "#e76f51"),
    SegmentStyle("cant_lose", "Can't lose", "Among those who ordered most often, now gone quiet.",
                 "#b5403a"),
    SegmentStyle("hibernating", "Hibernating", "Fewer orders than most, the last one long ago.",
                 "#9aa5b1"),
)
BY_NAME = {segment.name: segment for segment in SEGMENTS}
OTHER_COLOUR = "#7f8c8d"  # a segment of the unit's own map


def segment_label(name: str) -> str:
    """Display name of a segment: at_risk -> At risk, cant_lose -> Can't lose."""
    known = BY_NAME.get(name)
    return known.label if known else name.replace("_", " ").capitalize()


def segment_colour(name: str) -> str:
    """The segment's colour in charts and swatches."""
    known = BY_NAME.get(name)
    return known.colour if known else OTHER_COLOUR


def segment_description(name: str) -> str:
    """What a built-in segment is; empty for a segment of the unit's own map."""
    known = BY_NAME.get(name)
    return known.description if known else ""


def swatch_css() -> str:
    """The report's swatch colours, one rule per built-in segment."""
    return "\n".join(f".swatch-{segment.name} {{ background: {segment.colour}; }}"
                     for segment in SEGMENTS)
