"""Each chart's data table and one-sentence summary: what the page shows beside the chart and
what its CSV download contains, built once so the two can never disagree."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from .measures import (
    PENDING,
    PLAN_SET_LABELS,
    Coverage,
    CoverageFigure,
    Figure,
    GroupRow,
    HeadlineRow,
)

#: What a withheld figure reads as in a CSV file (the convention of official statistics:
#: "confidential").
WITHHELD = "[c]"
#: What a figure of a period not yet published reads as ("not available").
NOT_PUBLISHED = "[x]"


@dataclass(frozen=True)
class Table:
    """A published table. Cells are ints, strings, None for a withheld figure, or
    :data:`NOT_PUBLISHED`."""

    name: str
    caption: str
    summary: str
    headers: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    #: Columns (by index) that are percentages, for formatting.
    percent_columns: frozenset[int] = frozenset()

    def csv(self, notes: Sequence[tuple[str, str]] = ()) -> str:
        """The table as CSV: withheld figures are ``[c]``; text that a spreadsheet would run as
        a formula is defused. ``notes`` (symbol or subject, explanation) follow the table
        after an empty row, so that a file passed on still says what its symbols mean."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.headers)
        for row in self.rows:
            writer.writerow([WITHHELD if cell is None else _defuse(cell) for cell in row])
        if notes:
            writer.writerow([])
            writer.writerow([_("Notes")])
            writer.writerows(notes)
        return out.getvalue()


def csv_notes(threshold: int, settle_days: int) -> list[tuple[str, str]]:
    """What every CSV file's symbols and counts mean."""
    return [
        (WITHHELD, _("Withheld: fewer than %(threshold)d children (or reviews) are counted in "
                     "this group, too few for a share that does not point at who they are.",
                     threshold=threshold)),
        (NOT_PUBLISHED, _("Not yet published: a period's figures are published %(days)d days "
                          "after it ends, once, and never change afterwards.", days=settle_days)),
        (_("Counts"), _("Each count is rounded to a multiple of 5, up or down at random, so "
                        "the true number could be up to 4 more or less; the counts in a table "
                        "add up. Shares are worked out from these rounded counts.")),
    ]


def _defuse(cell: Any) -> Any:
    # A team name typed as "=HYPERLINK(...)" must not run when the file is opened.
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def _figure_cells(figure: Figure) -> tuple[Any, Any]:
    """(share, children answered): None where withheld; no share where nobody answered."""
    if figure.pending:
        return NOT_PUBLISHED, NOT_PUBLISHED
    if figure.withheld:
        return None, None
    if not figure.answered:
        return "", 0
    return figure.share, figure.answered


def headline_table(rows: Sequence[HeadlineRow], period: str, plans: str) -> Table:
    shown = [row for row in rows if row.figure.shown]
    if any(row.figure.pending for row in rows):
        summary = _("%(period)s, %(plans)s: the figures for this period are not published yet.",
                    period=period, plans=plans)
    elif shown:
        best = max(shown, key=lambda row: row.figure.share or 0)
        worst = min(shown, key=lambda row: row.figure.share or 0)
        summary = _("%(period)s, %(plans)s: the highest share was for “%(best)s” "
                    "(%(best_share)d%%) and the lowest for “%(worst)s” (%(worst_share)d%%).",
                    period=period, plans=plans, best=best.label,
                    best_share=best.figure.share or 0, worst=worst.label,
                    worst_share=worst.figure.share or 0)
    else:
        summary = _("%(period)s, %(plans)s: too few children answered to show any figure.",
                    period=period, plans=plans)
    withheld = sum(1 for row in rows if row.figure.withheld)
    if withheld:
        summary += " " + ngettext("%(num)d figure is withheld because too few children "
                                  "answered.", "%(num)d figures are withheld because too few "
                                  "children answered.", withheld)
    return Table(
        name="headline", caption=_("Share of children answering positively, %(period)s",
                                   period=period),
        summary=summary,
        headers=(_("Measure"), _("Share answering positively (%)"),
                 _("Children who answered (rounded to 5)"),
                 _("Chose not to say or skipped (rounded to 5)")),
        rows=[(row.label, *_figure_cells(row.figure),
               NOT_PUBLISHED if row.figure.pending else row.declined_or_skipped)
              for row in rows],
        percent_columns=frozenset({1}))


def trend_table(points: Sequence[tuple[str, Figure]], indicator: str) -> Table:
    shown = [(label, point) for label, point in points if point.shown]
    if len(shown) >= 2:
        (first_label, first), (last_label, last) = shown[0], shown[-1]
        summary = _("%(indicator)s: %(first)d%% in %(first_label)s and %(last)d%% in "
                    "%(last_label)s.", indicator=indicator, first=first.share or 0,
                    first_label=first_label, last=last.share or 0, last_label=last_label)
    elif shown:
        summary = _("%(indicator)s: %(share)d%% in %(label)s; other quarters have too few "
                    "children to show.", indicator=indicator, share=shown[0][1].share or 0,
                    label=shown[0][0])
    else:
        summary = _("%(indicator)s: too few children answered in these quarters to show a "
                    "trend.", indicator=indicator)
    return Table(
        name="trend", caption=_("%(indicator)s, quarter by quarter", indicator=indicator),
        summary=summary,
        headers=(_("Quarter"), _("Share answering positively (%)"),
                 _("Children who answered (rounded to 5)")),
        rows=[(label, *_figure_cells(point)) for label, point in points],
        percent_columns=frozenset({1}))


def breakdown_table(bars: Sequence[tuple[str, Figure]], indicator: str,
                    dimension: str, published: bool = True) -> Table:
    shown = [(label, bar) for label, bar in bars if bar.shown]
    if not published:
        summary = _("%(indicator)s, by %(dimension)s: the figures for this period are not "
                    "published yet.", indicator=indicator, dimension=dimension.lower())
    elif len(shown) >= 2:
        best = max(shown, key=lambda item: item[1].share or 0)
        worst = min(shown, key=lambda item: item[1].share or 0)
        summary = _("%(indicator)s, by %(dimension)s: highest “%(best)s” (%(best_share)d%%), "
                    "lowest “%(worst)s” (%(worst_share)d%%).", indicator=indicator,
                    dimension=dimension.lower(), best=best[0], best_share=best[1].share or 0,
                    worst=worst[0], worst_share=worst[1].share or 0)
    else:
        summary = _("%(indicator)s, by %(dimension)s: too few children in most groups to "
                    "compare.", indicator=indicator, dimension=dimension.lower())
    return Table(
        name="breakdown",
        caption=_("%(indicator)s by %(dimension)s", indicator=indicator,
                  dimension=dimension.lower()),
        summary=summary,
        headers=(dimension, _("Share answering positively (%)"),
                 _("Children who answered (rounded to 5)")),
        rows=[(label, *_figure_cells(bar)) for label, bar in bars],
        percent_columns=frozenset({1}))


def group_table(rows: Sequence[GroupRow], group: str) -> Table:
    compared = [row for row in rows if row.group.shown and row.rest.shown]
    lower = [row for row in compared if (row.group.share or 0) < (row.rest.share or 0)]
    if any(row.group.pending for row in rows):
        summary = _("%(group)s: the figures for this period are not published yet.",
                    group=group)
    elif compared:
        gaps = sorted(compared, key=lambda row: (row.group.share or 0) - (row.rest.share or 0))
        widest = gaps[0]
        summary = _("%(group)s answered positively less often than everyone else on "
                    "%(lower)d of %(total)d measures; the widest gap is “%(measure)s” "
                    "(%(group_share)d%% against %(rest_share)d%%).", group=group,
                    lower=len(lower), total=len(compared), measure=widest.label,
                    group_share=widest.group.share or 0, rest_share=widest.rest.share or 0)
    else:
        summary = _("%(group)s: too few children to compare with everyone else.", group=group)
    return Table(
        name="group", caption=_("%(group)s compared with everyone else", group=group),
        summary=summary,
        headers=(_("Measure"), _("%(group)s: share (%%)", group=group),
                 _("%(group)s: children (rounded to 5)", group=group),
                 _("Everyone else: share (%)"), _("Everyone else: children (rounded to 5)")),
        rows=[(row.label, *_figure_cells(row.group), *_figure_cells(row.rest)) for row in rows],
        percent_columns=frozenset({1, 3}))


def _coverage_cells(figure: CoverageFigure) -> tuple[Any, ...]:
    if figure.state == PENDING:
        return (NOT_PUBLISHED,) * 7
    return (figure.held, figure.views_before, figure.shares.get("views_before"),
            figure.asked_no_views, figure.shares.get("asked_no_views"), figure.not_asked,
            figure.shares.get("not_asked"))


def coverage_table(coverage: Coverage, period: str, plans: str, by: str) -> Table:
    total = coverage.total
    if total.state == PENDING:
        summary = _("%(period)s, %(plans)s: the figures for this period are not published yet.",
                    period=period, plans=plans)
    elif total.held and total.shares.get("views_before") is not None:
        summary = _("%(period)s, %(plans)s: of about %(held)d reviews held, %(views)d%% had the "
                    "child's views in beforehand.", period=period, plans=plans,
                    held=total.held, views=total.shares["views_before"] or 0)
        if total.shares.get("not_asked") is not None:
            summary += " " + _("In %(share)d%% the child was not asked.",
                               share=total.shares["not_asked"] or 0)
    elif total.held == 0:
        summary = _("%(period)s, %(plans)s: no reviews were recorded as held.",
                    period=period, plans=plans)
    else:
        summary = _("%(period)s, %(plans)s: too few reviews to show.", period=period,
                    plans=plans)
    if by == "team":
        rows = [(coverage.team_names.get(team, team), *_coverage_cells(figure))
                for team, figure in coverage.by_team]
    else:
        rows = [(str(PLAN_SET_LABELS[kind]), *_coverage_cells(figure))
                for kind, figure in coverage.by_kind]
    rows.append((_("Total"), *_coverage_cells(total)))
    return Table(
        name=f"coverage-{by}",
        caption=_("Children's views before reviews held, %(period)s, by %(by)s", period=period,
                  by=_("team") if by == "team" else _("kind of plan")),
        summary=summary,
        headers=(_("Team") if by == "team" else _("Kind of plan"),
                 _("Reviews held (rounded to 5)"), _("Views in before the review"),
                 _("Views in before the review (%)"), _("Asked, no views by the review"),
                 _("Asked, no views by the review (%)"), _("Not asked"), _("Not asked (%)")),
        rows=rows, percent_columns=frozenset({3, 5, 7}))
