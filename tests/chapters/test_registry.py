"""The chapter registry: order, templates, facts, and that a chapter is one folder and one line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import jinja2
import pytest
import yaml
from conftest import DraftRenderer, write_demo_unit

from reportgen.chapters import CHAPTERS, fact_specs
from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.config import load_unit_config
from reportgen.paths import TEMPLATES_DIR
from reportgen.period import Period
from reportgen.pipeline import build_report
from reportgen.playbook.facts import FactSpec


def test_every_chapter_comes_after_the_chapters_it_needs() -> None:
    keys = [chapter.key for chapter in CHAPTERS]
    assert len(keys) == len(set(keys))
    for position, chapter in enumerate(CHAPTERS):
        for needed in chapter.needs:
            assert needed in keys[:position], (chapter.key, needed)


def test_every_chapter_has_its_partial_and_every_partial_its_chapter() -> None:
    partials = {path.name for path in (TEMPLATES_DIR / "chapters").glob("*.html.j2")}
    assert partials == {Path(chapter.template).name for chapter in CHAPTERS if chapter.has_page}


def test_fact_names_are_unique_across_chapters() -> None:
    names = [spec.name for spec in fact_specs()]
    assert len(names) == len(set(names))


@dataclass(frozen=True)
class Tally:
    """The throw-away chapter's result."""

    lines: int


THROWAWAY_FACTS = (FactSpec("throwaway.lines", "count", "Purchase lines, counted again",
                            "lines"),)


class ThrowawayChapter(Chapter[Tally], key="throwaway", title="Throw-away chapter",
                       facts=THROWAWAY_FACTS):
    """A chapter that exists only in this test."""

    def compute(self, inputs: AnalysisInputs) -> Tally:
        return Tally(inputs.clean.purchase_lines)

    def section(self, result: Tally, inputs: SectionInputs) -> Section[Tally]:
        return Section(result, headlines=(f"The throw-away chapter counted {result.lines} lines.",))

    def manifest(self, result: Tally) -> dict[str, object]:
        return {"throwaway": {"lines": result.lines}}


@pytest.mark.slow  # a whole report with an extra chapter
def test_a_new_chapter_is_one_class_one_registry_line_and_one_partial(tmp_path: Path) -> None:
    # A playbook entry of the unit may already cite the new chapter's fact.
    entry = {"id": "count_lines", "title": "Count the lines", "trigger": "throwaway.lines > 0",
             "evidence": "{throwaway.lines} lines were counted.", "action": "Keep counting."}
    config = load_unit_config(write_demo_unit(tmp_path, clv={"enabled": False},
                                              clusters={"enabled": False},
                                              playbook={"entries": [entry]}))
    partial = "<p class=\"throwaway\">{{ s.lines | number }} purchase lines.</p>"
    loader = jinja2.ChoiceLoader([
        jinja2.DictLoader({"chapters/throwaway.html.j2": partial}),
        jinja2.FileSystemLoader(TEMPLATES_DIR),
    ])
    report = build_report(config, Period(2024, 12), chapters=(*CHAPTERS, ThrowawayChapter()),
                          renderer=DraftRenderer(loader))

    lines = report.context.views["throwaway"].lines
    assert lines > 0
    html = report.files["report.html"].decode()
    assert '<a href="#throwaway">Throw-away chapter</a>' in html
    assert '<section id="throwaway" class="chapter">' in html
    assert f'<p class="throwaway">{lines:,} purchase lines.</p>' in html
    assert f"The throw-away chapter counted {lines} lines." in html
    manifest = json.loads(report.files["manifest.json"])
    assert manifest["throwaway"] == {"lines": lines}
    assert manifest["facts"]["throwaway.lines"] == lines
    assert [r["id"] for r in manifest["recommendations"]].count("count_lines") == 1
    assert "throwaway" in yaml.safe_dump(manifest["timings_seconds"])
