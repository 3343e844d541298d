"""Chart builders: published figures in, plotly figures out.

Charts only draw what ``measures`` published. A withheld figure, or one of a period not yet
published, is never an empty row that reads as zero: it is drawn as a pale hatched bar across
the whole scale with its reason written on it (a trend names it under its quarter).
Colours are the Okabe-Ito palette, which people with any common colour-vision difference
can tell apart, and every chart carries its data table and a one-sentence summary on the
page as its accessible alternative.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from flask_babel import gettext as _

from ..published.measures import CoverageFigure, Figure, GroupRow, HeadlineRow

#: Okabe and Ito's colour-blind-safe palette (blue, orange, green, purple, sky, vermilion).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif"


def _figure(traces: Sequence[Any], *, height: int, percent_axis: bool = True,
            big: bool = False, legend: bool = False, **layout: Any) -> dict[str, Any]:
    """A plotly figure as JSON-ready data: one constructor call (cheap), plain template."""
    grid = {"gridcolor": "#d0d3d4", "zerolinecolor": "#6f777b"}
    base: dict[str, Any] = {
        "template": "none", "height": height, "autosize": True,
        "font": {"family": FONT, "size": 20 if big else 14, "color": "#0b0c0c"},
        "margin": {"l": 10, "r": 30, "t": 10, "b": 40}, "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff", "showlegend": legend,
        "hoverlabel": {"font": {"family": FONT}},
        "legend": {"orientation": "h", "y": -0.15, "traceorder": "normal"},
        "yaxis": {"automargin": True, "autorange": "reversed"},
        "xaxis": ({"range": [0, 100], "ticksuffix": "%", "dtick": 20, **grid}
                  if percent_axis else {}),
    }
    for key, value in layout.items():
        base[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    return go.Figure(data=list(traces), layout=base).to_plotly_json()


def _hover(figure: Figure) -> str:
    if figure.pending:
        return _("Not published yet")
    if figure.withheld:
        return _("Withheld: too few children to show")
    if not figure.answered:
        return _("No children answered")
    return _("%(share)d%% of about %(count)d children", share=figure.share or 0,
             count=figure.answered)


def _bar_values(figures: Sequence[Figure]) -> list[int | None]:
    return [figure.share if figure.shown else None for figure in figures]


def _missing_label(figure: Figure) -> str:
    if figure.pending:
        return _("not published yet")
    if figure.withheld:
        return _("withheld: too few children")
    return _("no answers")


def _missing(labels: Sequence[str], figures: Sequence[Figure], *, big: bool = False,
             name: str | None = None) -> go.Bar:
    """The pale hatched bars that stand where there is no figure: withheld, not published
    yet, or nobody answered (a question these children are not asked)."""
    missing = [not figure.shown for figure in figures]
    return go.Bar(
        orientation="h", y=list(labels), x=[100 if gap else None for gap in missing],
        name=name or _("Withheld or not published"), showlegend=False,
        marker={"color": "#f3f2f1", "line": {"color": "#6f777b", "width": 1},
                "pattern": {"shape": "/", "fgcolor": "#b1b4b6"}},
        text=[_missing_label(figure) for figure in figures], textposition="inside",
        insidetextanchor="start", textfont={"color": "#0b0c0c", "size": 20 if big else 14},
        hovertext=[_hover(figure) for figure in figures], hoverinfo="text")


def headline_chart(rows: Sequence[HeadlineRow]) -> dict[str, Any]:
    """Every indicator's share of children answering positively, one bar each."""
    labels = [row.label for row in rows]
    figures = [row.figure for row in rows]
    bars = go.Bar(
        orientation="h", y=labels, x=_bar_values(figures), marker_color=PALETTE[0],
        text=[f"{figure.share}%" if figure.shown else "" for figure in figures],
        textposition="outside", cliponaxis=False,
        hovertext=[_hover(figure) for figure in figures], hoverinfo="text")
    return _figure([bars, _missing(labels, figures)], height=90 + 34 * len(rows),
                   barmode="overlay")


def trend_chart(points: Sequence[tuple[str, Figure]]) -> dict[str, Any]:
    """One indicator quarter by quarter; withheld quarters are gaps in the line."""
    gaps = go.Scatter(
        x=[label for label, point in points if point.pending or point.withheld],
        y=[8 for _label, point in points if point.pending or point.withheld],
        mode="text", text=[_missing_label(point) for _label, point in points
                           if point.pending or point.withheld],
        textfont={"color": "#505a5f"}, hoverinfo="skip", showlegend=False)
    line = go.Scatter(
        x=[label for label, _figure in points],
        y=[point.share if point.shown else None for _label, point in points],
        mode="lines+markers+text", line={"color": PALETTE[0], "width": 3},
        marker={"size": 10, "symbol": "circle"},
        text=[f"{point.share}%" if point.shown else "" for _label, point in points],
        textposition="top center",
        hovertext=[_hover(point) for _label, point in points], hoverinfo="text",
        connectgaps=False)
    return _figure([line, gaps], height=340, percent_axis=False,
                   yaxis={"range": [0, 105], "ticksuffix": "%", "dtick": 20,
                          "gridcolor": "#d0d3d4", "autorange": False})


def breakdown_chart(bars: Sequence[tuple[str, Figure]]) -> dict[str, Any]:
    """One indicator for each group in a breakdown."""
    labels = [label for label, _figure in bars]
    figures = [figure for _label, figure in bars]
    trace = go.Bar(
        orientation="h", y=labels, x=_bar_values(figures), marker_color=PALETTE[2],
        text=[f"{bar.share}%" if bar.shown else "" for bar in figures],
        textposition="outside", cliponaxis=False,
        hovertext=[_hover(bar) for bar in figures], hoverinfo="text")
    return _figure([trace, _missing(labels, figures)], height=90 + 40 * len(bars),
                   barmode="overlay")


def group_chart(rows: Sequence[GroupRow], group_label: str) -> dict[str, Any]:
    """One group against everyone else, indicator by indicator."""
    traces = []
    for name, colour, pattern, pick in (
            (group_label, PALETTE[1], "", lambda row: row.group),
            (_("Everyone else"), PALETTE[0], "/", lambda row: row.rest)):
        figures = [pick(row) for row in rows]
        traces.append(go.Bar(
            orientation="h", name=name, y=[row.label for row in rows], x=_bar_values(figures),
            marker={"color": colour, "pattern": {"shape": pattern}},
            hovertext=[f"{name}: {_hover(f)}" for f in figures], hoverinfo="text"))
    return _figure(traces, height=120 + 52 * len(rows), legend=True, barmode="group")


def coverage_chart(rows: Sequence[tuple[str, CoverageFigure]]) -> dict[str, Any]:
    """For each team (or plan kind), what share of reviews had the child's views in."""
    traces = []
    for status, name, colour, pattern in (
            ("views_before", _("Views in before the review"), PALETTE[2], ""),
            ("asked_no_views", _("Asked, but no views in by the review"), PALETTE[1], "/"),
            ("not_asked", _("Not asked"), PALETTE[5], "x")):
        traces.append(go.Bar(
            orientation="h", name=name, y=[label for label, _row in rows],
            x=[row.shares.get(status) for _label, row in rows],
            marker={"color": colour, "pattern": {"shape": pattern}},
            hovertext=[f"{name}: {row.shares[status]}%" if row.shares.get(status) is not None
                       else f"{name}: " + _("withheld") for _label, row in rows],
            hoverinfo="text"))
    return _figure(traces, height=140 + 44 * len(rows), legend=True, barmode="stack")


def council_chart(bars: Sequence[tuple[str, Figure]]) -> dict[str, Any]:
    """Big, plain bars for the Children in Care Council: out of every 10 children."""
    labels = [label for label, _figure in bars]
    figures = [figure for _label, figure in bars]
    # The same "about N in 10" as the words beside the chart (``Figure.in_ten``), and the
    # hover says nothing more exact than the words do.
    words = [_("About %(number)d in 10", number=bar.in_ten) if bar.shown else ""
             for bar in figures]
    trace = go.Bar(
        orientation="h", y=labels, x=[bar.in_ten * 10 if bar.shown else None for bar in figures],
        marker_color=PALETTE[0], text=words, textposition="inside", insidetextanchor="start",
        textfont={"color": "#ffffff", "size": 22},
        hovertext=[word or _hover(bar) for word, bar in zip(words, figures, strict=True)],
        hoverinfo="text")
    return _figure([trace, _missing(labels, figures, big=True)], height=100 + 80 * len(bars),
                   big=True, barmode="overlay")

