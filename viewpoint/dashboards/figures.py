"""Chart builders: published figures in, plotly figures out.

Charts only draw what ``measures`` published; a withheld figure is drawn as a gap and
named in the hover text, never as zero. Colours are the Okabe-Ito palette, which people
with any common colour-vision difference can tell apart, and every chart carries its
data table and a one-sentence summary on the page as its accessible alternative.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from flask_babel import gettext as _

from .measures import CoverageFigure, Figure, GroupRow, HeadlineRow

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
    if figure.withheld:
        return _("Withheld: too few children to show")
    if not figure.answered:
        return _("No children answered")
    return _("%(share)d%% of about %(count)d children", share=figure.share or 0,
             count=figure.answered)


def _bar_values(figures: Sequence[Figure]) -> list[int | None]:
    return [figure.share if figure.shown else None for figure in figures]


def headline_chart(rows: Sequence[HeadlineRow]) -> dict[str, Any]:
    """Every indicator's share of children answering positively, one bar each."""
    bars = go.Bar(
        orientation="h", y=[row.label for row in rows],
        x=_bar_values([row.figure for row in rows]), marker_color=PALETTE[0],
        text=[f"{row.figure.share}%" if row.figure.shown else _("withheld")
              if row.figure.withheld else "" for row in rows],
        textposition="outside", cliponaxis=False,
        hovertext=[_hover(row.figure) for row in rows], hoverinfo="text")
    return _figure([bars], height=90 + 34 * len(rows))


def trend_chart(points: Sequence[tuple[str, Figure]]) -> dict[str, Any]:
    """One indicator quarter by quarter; withheld quarters are gaps in the line."""
    line = go.Scatter(
        x=[label for label, _figure in points],
        y=[point.share if point.shown else None for _label, point in points],
        mode="lines+markers+text", line={"color": PALETTE[0], "width": 3},
        marker={"size": 10, "symbol": "circle"},
        text=[f"{point.share}%" if point.shown else "" for _label, point in points],
        textposition="top center",
        hovertext=[_hover(point) for _label, point in points], hoverinfo="text",
        connectgaps=False)
    return _figure([line], height=340, percent_axis=False,
                   yaxis={"range": [0, 105], "ticksuffix": "%", "dtick": 20,
                          "gridcolor": "#d0d3d4", "autorange": False})


def breakdown_chart(bars: Sequence[tuple[str, Figure]]) -> dict[str, Any]:
    """One indicator for each group in a breakdown."""
    trace = go.Bar(
        orientation="h", y=[label for label, _figure in bars],
        x=_bar_values([figure for _label, figure in bars]), marker_color=PALETTE[2],
        text=[f"{bar.share}%" if bar.shown else _("withheld") if bar.withheld else ""
              for _label, bar in bars],
        textposition="outside", cliponaxis=False,
        hovertext=[_hover(bar) for _label, bar in bars], hoverinfo="text")
    return _figure([trace], height=90 + 40 * len(bars))


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
    trace = go.Bar(
        orientation="h", y=[label for label, _figure in bars],
        x=_bar_values([figure for _label, figure in bars]), marker_color=PALETTE[0],
        text=[_("About %(number)d in 10", number=int((bar.share or 0) / 10 + 0.5))
              if bar.shown else "" for _label, bar in bars],
        textposition="inside", insidetextanchor="start",
        textfont={"color": "#ffffff", "size": 22},
        hovertext=[_hover(bar) for _label, bar in bars], hoverinfo="text")
    return _figure([trace], height=100 + 80 * len(bars), big=True)

