"""What a chapter is: a key, a title, and the steps the pipeline calls on it, in this order.

    compute   (analysis: the unit's clean data and earlier chapters' results -> typed result)
    facts     (named numbers for the playbook, read from the result)
    customer_columns / exports   (what the chapter adds to customers.csv and other files)
    section   (result -> what its template partial shows, its charts and headlines)
    manifest  (what manifest.json records of the result)

`compute` runs for every chapter before any `section` is built, so presentation never feeds
analysis. A chapter whose `compute` returns None does not apply to this run (CLV switched off,
too few customers to cluster): nothing else is asked of it and it shows no page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import polars as pl

from reportgen.config import UnitConfig
from reportgen.currencies import currency_symbol
from reportgen.display.charts import Chart
from reportgen.inputs.clean import CleanTransactions
from reportgen.inputs.load import InputReading
from reportgen.outputs.campaigns import EarlierLists
from reportgen.period import Period
from reportgen.playbook.facts import FactSpec, FactValue

if TYPE_CHECKING:
    from reportgen.playbook.control import MeasuredResponse
    from reportgen.playbook.evaluate import PlaybookOutcome

ResultT = TypeVar("ResultT")
T = TypeVar("T")


class Results:
    """The results computed so far, by chapter key; read with the type the reader expects."""

    def __init__(self) -> None:
        self._by_key: dict[str, object] = {}

    def add(self, key: str, result: object) -> None:
        """Record a chapter's result (None: the chapter does not apply to this run)."""
        self._by_key[key] = result

    def only(self, keys: tuple[str, ...]) -> Results:
        """These results alone (those computed of `keys`): what one chapter's analysis reads."""
        kept = Results()
        kept._by_key = {key: self._by_key[key] for key in keys if key in self._by_key}
        return kept

    def of(self, key: str, kind: type[T]) -> T:
        """The result of chapter `key`, which must exist and be a `kind`."""
        result = self._by_key.get(key)
        if not isinstance(result, kind):
            raise LookupError(f"chapter '{key}' has no {kind.__name__} result; list it in "
                              "`needs` and before this chapter in the registry")
        return result

    def get(self, key: str, kind: type[T]) -> T | None:
        """The result of chapter `key` if it applied to this run, else None."""
        result = self._by_key.get(key)
        return result if isinstance(result, kind) else None


@dataclass(frozen=True)
class AnalysisInputs:
    """What an analysis may read: configuration, period, the clean data, earlier results."""

    config: UnitConfig
    period: Period
    source: InputReading
    clean: CleanTransactions
    results: Results
    earlier: EarlierLists = field(default_factory=EarlierLists)  # earlier action lists

    @property
    def window_start(self) -> Any:
        """First instant of the behaviour window (the last `behaviour.window_months` months)."""
        return self.period.shift(-(self.config.behaviour.window_months - 1)).start


@dataclass(frozen=True)
class SectionInputs:
    """What a section may read: every chapter's result and the playbook's outcome."""

    config: UnitConfig
    period: Period
    results: Results
    playbook: PlaybookOutcome

    @property
    def symbol(self) -> str:
        """The unit's currency symbol, e.g. £."""
        return currency_symbol(self.config.currency)


ViewT = TypeVar("ViewT")


@dataclass(frozen=True)
class Section(Generic[ViewT]):
    """A chapter as the report shows it: its template's data (`s`), charts and headlines."""

    view: ViewT
    charts: dict[str, Chart] = field(default_factory=dict)
    headlines: tuple[str, ...] = ()
    appendix: bool = False  # shown after every other chapter, as an appendix


class Chapter(Generic[ResultT]):
    """One chapter of the report, declared in its class line and overriding the steps:

        class ClvChapter(Chapter[ClvResult], key="clv", title="Customer lifetime value",
                         needs=("segments",), facts=FACT_SPECS):
    """

    key: ClassVar[str]
    title: ClassVar[str]
    needs: ClassVar[tuple[str, ...]] = ()  # chapters whose results `compute` reads
    fact_specs: ClassVar[tuple[FactSpec, ...]] = ()
    # Where its customer columns (`customer_columns`) stand in customers.csv, whose documented
    # order they keep (lower first; the table starts from the chapter at 0, which holds every
    # customer), and which of them are money (written to 2 decimals in every CSV).
    customer_position: ClassVar[int] = 100
    money_columns: ClassVar[tuple[str, ...]] = ()
    # False for a chapter shown only through other chapters' pages (no partial of its own).
    has_page: ClassVar[bool] = True
    # Where the report shows it: "main" among the chapters management reads; "appendix" after
    # them (data quality, method); "analysis" in the appendix of the full report only (an
    # analyst's chapter that leads to no action).
    placement: ClassVar[str] = "main"
    # True when its partial has a part for analysts (`detail`): models, backtests, scores,
    # shown as "Appendix: <title> in detail" in the full report and the HTML, never in the
    # board pack.
    has_detail: ClassVar[bool] = False

    def __init_subclass__(
        cls, key: str = "", title: str = "", needs: tuple[str, ...] = (),
        facts: tuple[FactSpec, ...] = (), **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if key:
            cls.key, cls.title, cls.needs, cls.fact_specs = key, title, needs, facts

    @property
    def anchor(self) -> str:
        """The chapter's id in the HTML and its table-of-contents link."""
        return self.key.replace("_", "-")

    @property
    def template(self) -> str:
        """The Jinja partial that shows the chapter."""
        return f"chapters/{self.key}.html.j2"

    def compute(self, inputs: AnalysisInputs) -> ResultT | None:
        """The chapter's analysis; None when the chapter does not apply to this run."""
        raise NotImplementedError

    def facts(self, result: ResultT) -> dict[str, FactValue]:
        """Facts for the playbook by name: each of `fact_specs` read from the result, those
        without a value this period left out."""
        return {spec.name: value for spec in self.fact_specs
                if (value := spec.value(result)) is not None}

    def customer_columns(self, result: ResultT) -> pl.DataFrame | None:
        """customer_id and the columns this chapter adds to the customer table."""
        return None

    def exports(self, result: ResultT) -> dict[str, pl.DataFrame]:
        """Extra tables to publish as CSV, by file name."""
        return {}

    def measured_responses(self, result: ResultT) -> Mapping[str, MeasuredResponse] | None:
        """Responses measured on earlier action lists, by play, that the playbook uses instead
        of the assumed ones; None when the chapter measures none (every chapter but
        measurement)."""
        return None

    def section(self, result: ResultT, inputs: SectionInputs) -> Section[Any] | None:
        """What the chapter's page shows; None leaves the page out."""
        return None

    def manifest(self, result: ResultT) -> dict[str, Any]:
        """Entries for manifest.json, by top-level key."""
        return {}

    def missing(self, result: ResultT) -> str | None:
        """What the chapter had to leave out this run, in one line (the run is incomplete)."""
        return None


@dataclass(frozen=True)
class Text:
    """The result of a chapter that computes nothing: its page is text, or shows what the
    report context already holds."""


class TextChapter(Chapter[Text]):
    """A chapter with nothing to compute; its partial is the whole page."""

    def compute(self, inputs: AnalysisInputs) -> Text:
        """Nothing to compute."""
        return Text()

    def section(self, result: Text, inputs: SectionInputs) -> Section[Any]:
        """The page as its partial writes it."""
        return Section(result)
