"""The CLV chapter's sentences: how the forecast works and how far to trust it, in plain
words, from the result and its backtests."""

from __future__ import annotations

from reportgen.chapters.clv.analysis import ClvForecast, ClvResult
from reportgen.display.formatting import day, pct
from reportgen.models.clv.season import Season


def plain_method(clv: ClvResult, forecast: ClvForecast) -> str:
    """How the forecast works, in words a manager reads without the parameters."""
    assert clv.model is not None
    params = clv.params
    dropout = (", which also estimates the chance that each customer has stopped buying"
               if clv.p_alive_estimated else
               ", which assumes customers keep buying at their own pace: the data show no "
               "measurable dropout")
    spend = ("from what the customer spent before, pulled towards the average customer when "
             "they have bought only a few times (the Gamma-Gamma model)"
             if forecast.spend.method == "gamma-gamma" else
             "from the customer's own average spend, pulled towards the average customer's "
             "when they have bought only a few times (the shrunk mean)")
    return (
        f"Each customer's purchases over the next {params.horizon_months} months are predicted "
        f"from how often they have bought and how long ago they last bought, with the "
        f"{clv.model.label} model{dropout}. The value of each purchase comes {spend}. Months "
        f"further ahead count for less: {pct(params.monthly_discount_rate)} a month. "
        f"{season_sentence(forecast.season)} The forecast was tested on earlier {params.backtest_weeks}-week "
        "windows (above); the details below are for the analyst."
    )


def season_sentence(season: Season) -> str:
    """Whether the forecast knows the season, in one sentence."""
    if season.available and season.fitted_on is not None:
        return (f"Each month is scaled by how the same month ran in the year from "
                f"{day(season.fitted_on)} against what the model predicted for it from the "
                "customers' history up to then.")
    return (f"The forecast is season-blind: {season.reason}, so it predicts the same pace "
            "in every month of the year.")


def trust_paragraph(clv: ClvResult, forecast: ClvForecast) -> str:
    """How far to trust the forecast, in plain words, from the grade and the backtests."""
    backtest, grade = clv.backtest, forecast.grade
    if not backtest.available or grade is None:
        why = backtest.reason or (
            f"on the data before {day(backtest.holdout_start)} the purchase model shows no "
            "dropout, so the window tested a simpler model instead")
        return (f"The forecast could not be tested this month ({why}); "
                "use CLV to rank customers rather than to budget amounts.")
    start = backtest.holdout_start
    checks = {check.name: check for check in grade.checks}
    count, value = checks["purchases"].value or 0.0, checks["pounds"].value or 0.0
    facts = (
        f"Forecast grade {grade.letter}: fitted only on the data before {day(start)} and asked "
        f"for the {backtest.weeks} weeks to {day(backtest.holdout_end)}, the model "
        f"{'passed' if grade.passed else 'failed'} {grade.passed if grade.passed else 'all'} "
        f"of four checks. It predicted {pct(abs(count), 0)} "
        f"{'too many' if count > 0 else 'too few'} repeat purchases and {pct(abs(value), 0)} "
        f"{'too much' if value > 0 else 'too little'} spend"
        f"{' (season-scaled)' if grade.season_scaled else ''}; "
        f"{_ranking_words(checks['ranking'].value)}; per customer it "
        f"{'beat' if checks['customers'].passed else 'did not beat'} the naive rule that "
        "everyone keeps their past rate."
    )
    verdict = {
        "A": "CLV can guide both who to prioritise and how much to spend.",
        "B": ("Use CLV to prioritise customers; treat the totals as indicative, within about "
              f"{pct(max(abs(count), abs(value)), 0)}."),
    }.get(grade.letter, "Use CLV to rank customers, not to budget amounts.")
    notes = [coverage_sentence(clv)]
    if not forecast.season.available:
        notes.append("The forecast is season-blind: a busy or quiet season ahead is not in it.")
    return " ".join([facts, verdict, *notes])


def challenger_sentence(clv: ClvResult, forecast: ClvForecast) -> str:
    """How the gradient-boosted challenger fared against the model, and whether it is used."""
    judged = [b for b in clv.backtests if b.available and b.challenger_beats_model is not None]
    if not judged:
        return "The gradient-boosted challenger could not be trained: too little history."
    won = sum(bool(b.challenger_beats_model) for b in judged)
    label = clv.model.label if clv.model else "the model"
    verdict = ("so the next 12 weeks' expected purchases come from it (the CLV's months stay "
               f"{label}'s)" if forecast.challenger_used else f"so {label} is kept")
    return (f"A challenger, gradient-boosted trees trained on the data's earlier cut-offs, beat "
            f"{label} (lower error per customer and in total) in {won} of {len(judged)} "
            f"backtest window{'' if len(judged) == 1 else 's'}, {verdict}.")


def coverage_sentence(clv: ClvResult) -> str:
    """Where the 90 % ranges come from and how often such a range held."""
    inside, judged = clv.value_coverage
    windows = len(clv.rolling)
    if judged == 0:
        return (f"No 90 % range is given: the data allow {windows} backtest window"
                f"{'' if windows == 1 else 's'}, and a range needs four (three to learn from).")
    return (f"The 90 % ranges come from how far this model missed in {windows} backtest windows "
            f"(each {clv.params.backtest_weeks} weeks, a cut-off every 4 weeks): judged on the "
            f"windows it was not made from, such a range held {inside} time"
            f"{'' if inside == 1 else 's'} in {judged} for spend"
            + (f" and {clv.coverage[0]} in {clv.coverage[1]} for purchases"
               if clv.coverage[1] else "") + ".")


def _ranking_words(capture: float | None) -> str:
    if capture is None:
        return "nobody bought in the window, so its ranking could not be checked"
    return (f"the 10 % of customers it ranked highest made {pct(capture, 0)} of the purchases "
            "of the 10 % who bought most")
