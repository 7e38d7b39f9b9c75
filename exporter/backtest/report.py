"""One self-contained HTML report: plotly's JavaScript inline (opens with no network), the panels on
one shared time axis with the alerts drawn across them, and a table per alert.

Sized for a projector: large fonts, thick lines, severity colours that stay apart for the
colour-blind (red-orange / amber / blue)."""

from __future__ import annotations

import html
import json

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from exporter.backtest.model import AlertInterval, Backtest, PanelData
from exporter.backtest.summary import SEVERITY_ORDER, Difference, by_alert, union

SEVERITY_COLOURS = {"critical": "#d62728", "warning": "#ff9f0a", "info": "#1f77b4"}
DEFAULT_COLOUR = "#7f7f7f"
# The series' colours: none of them a severity's, so a line never reads as an alert.
# Twelve: the price panel has mark, oracle, the replica and nine references.
SERIES_COLOURS = [
    "#1f3fbf",
    "#2ca02c",
    "#9467bd",
    "#111111",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#006d2c",
    "#6a3d9a",
    "#b15928",
    "#01665e",
]
# Lines computed by the exporter rather than read from a venue: dashed, so they read as derived.
DASHED = {"oracle replica"}
FONT = "DejaVu Sans, Arial, sans-serif"


def _colour(severity: str) -> str:
    return SEVERITY_COLOURS.get(severity, DEFAULT_COLOUR)


def human(value: float | None) -> str:
    if value is None:
        return "–"
    magnitude = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            return f"{value / limit:.3g}{suffix}"
    if magnitude and magnitude < 0.01:
        return f"{value:.3g}"
    return f"{value:.4g}"


def seconds_text(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 120:
        return f"{sign}{seconds:.0f} s"
    return f"{sign}{int(seconds // 60)} min {seconds % 60:02.0f} s"


def drawn_panels(backtest: Backtest) -> list[PanelData]:
    """The panels with a series in the range: an empty one is named in the report, not drawn as axes."""
    return [panel for panel in backtest.panels if panel.traces]


def figure(backtest: Backtest) -> go.Figure:
    timeline = backtest.timeline
    groups = by_alert(backtest.alerts)
    panels = drawn_panels(backtest)
    titles = ["Alerts firing", *(panel.title for panel in panels)]
    alert_rows = max(1, len(groups))
    fig = make_subplots(
        rows=len(titles),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.035 if len(panels) > 2 else 0.08,
        subplot_titles=titles,
        row_heights=[0.06 * alert_rows + 0.1] + [1.0] * len(panels),
    )
    for (name, severity), intervals in groups.items():
        label = f"{name.removeprefix('Hyperliquid')} ({severity})"
        for start, end in union([(a.start, a.end) for a in intervals], gap=0):
            fig.add_trace(
                go.Scatter(
                    x=[timeline.x(start), timeline.x(end)],
                    y=[label, label],
                    mode="lines+markers",
                    line={"color": _colour(severity), "width": 14},
                    marker={"size": 14, "color": _colour(severity)},
                    name=label,
                    showlegend=False,
                    hovertemplate=f"{html.escape(label)}<br>%{{x}}<extra></extra>",
                ),
                row=1,
                col=1,
            )
    fig.update_yaxes(autorange="reversed", row=1, col=1)
    for row, panel in enumerate(panels, start=2):
        # A legend per panel, beside it: one legend for all would list five panels' lines in one place.
        legend = f"legend{row}"
        for index, trace in enumerate(panel.traces):
            fig.add_trace(
                go.Scatter(
                    x=trace.x,
                    y=trace.y,
                    mode="lines",
                    name=trace.name,
                    line={
                        "width": 3,
                        "color": SERIES_COLOURS[index % len(SERIES_COLOURS)],
                        "dash": "dash" if trace.name in DASHED else "solid",
                    },
                    legend=legend,
                ),
                row=row,
                col=1,
            )
        fig.update_yaxes(title_text=panel.unit, row=row, col=1)
        top = fig.layout[f"yaxis{row}"].domain[1]
        fig.update_layout(
            {legend: {"y": top, "yanchor": "top", "x": 1.01, "xanchor": "left", "font": {"size": 16}}}
        )
    bands: dict[str, list[tuple[float, float]]] = {}
    for alert in backtest.alerts:
        bands.setdefault(alert.severity, []).append((alert.start, alert.end))
    # Less severe first, so critical is drawn on top.
    for severity in sorted(bands, key=lambda s: -SEVERITY_ORDER.get(s, 9)):
        for start, end in union(bands[severity]):
            for row in range(2, len(titles) + 1):
                fig.add_vrect(
                    x0=timeline.x(start),
                    x1=timeline.x(end),
                    fillcolor=_colour(severity),
                    opacity=0.14,
                    line_width=0,
                    layer="below",
                    row=row,
                    col=1,
                )
    if backtest.onset is not None:
        fig.add_vline(x=timeline.x(backtest.onset), line={"color": "#222", "width": 2, "dash": "dash"})
    fig.update_xaxes(title_text=timeline.axis_title, row=len(titles), col=1)
    fig.update_xaxes(showgrid=True, gridcolor="#ddd")
    fig.update_layout(
        height=320 * len(panels) + 70 * alert_rows + 200,
        template="plotly_white",
        font={"family": FONT, "size": 18, "color": "#111"},
        hoverlabel={"font_size": 18},
        margin={"l": 110, "r": 230, "t": 60, "b": 60},
    )
    fig.update_annotations(font_size=22)
    return fig


# Rows of an alert's table shown at once; a cascade's per-coin alerts have hundreds (the rest fold).
SHOWN_ROWS = 12


def _table(rows: list[str]) -> str:
    return (
        "<table><thead><tr><th>labels</th><th>first firing</th><th>from onset</th><th>duration</th>"
        "<th>value when it crossed</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _alert_tables(backtest: Backtest) -> str:
    zero = backtest.onset
    timeline = backtest.timeline
    sections = []
    for (name, severity), intervals in by_alert(backtest.alerts).items():
        rows = []
        for alert in intervals:
            from_onset = timeline.seconds(alert.start - zero) if zero is not None else None
            duration = timeline.seconds(alert.end - alert.start)
            rows.append(
                "<tr>"
                f"<td>{html.escape(alert.label_text)}</td>"
                f"<td>{html.escape(timeline.label(alert.start))}</td>"
                f"<td>{seconds_text(from_onset)}</td>"
                f"<td>{seconds_text(duration)}{' (still firing)' if alert.still_firing else ''}</td>"
                f"<td>{human(alert.value)}</td>"
                "</tr>"
            )
        sections.append(
            f'<section class="alert" data-alert="{html.escape(name)}" '
            f'data-severity="{html.escape(severity)}"><h3><span class="severity" '
            f'style="background:{_colour(severity)}">{html.escape(severity)}</span> {html.escape(name)}</h3>'
            + _table(rows[:SHOWN_ROWS])
            + (
                f"<details><summary>{len(rows) - SHOWN_ROWS} more</summary>"
                f"{_table(rows[SHOWN_ROWS:])}</details>"
                if len(rows) > SHOWN_ROWS
                else ""
            )
            + "</section>"
        )
    if not sections:
        return '<p class="none">No alert fired in this range.</p>'
    return "\n".join(sections)


def _column(backtest: Backtest, div_id: str) -> str:
    fig = figure(backtest)
    panels = {panel.key: sum(len(trace.y) for trace in panel.traces) for panel in backtest.panels}
    plot = fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config={"displaylogo": False})
    onset = backtest.timeline.label(backtest.onset) if backtest.onset is not None else "not given"
    return (
        f'<div class="column" data-rules="{html.escape(backtest.rules)}">'
        f'<p class="meta">Rules: <b>{html.escape(backtest.rules)}</b>'
        f"<br>Source: {html.escape(backtest.source)}"
        f"<br>Onset: {html.escape(onset)}</p>"
        f"{_no_data(backtest)}"
        f"<div class=\"figure\" data-panels='{html.escape(json.dumps(panels))}'>{plot}</div>"
        f'<h2>Alerts</h2><div class="alerts">{_alert_tables(backtest)}</div></div>'
    )


def _no_data(backtest: Backtest) -> str:
    """The panels not drawn, and why: those this source cannot have, and those with no series here."""
    missing = dict(backtest.not_drawn)
    for panel in backtest.panels:
        if not panel.traces:
            missing[panel.title] = "no series in this range"
    if not missing:
        return ""
    items = "".join(
        f'<li data-panel="{html.escape(title)}"><b>{html.escape(title)}</b>: {html.escape(why)}</li>'
        for title, why in missing.items()
    )
    return f'<div class="no-data"><p>Panels not drawn, for want of data:</p><ul>{items}</ul></div>'


def _differences_rows(items: list[Difference], css_class: str) -> str:
    rows = "".join(
        f'<tr data-alert="{html.escape(d.alertname)}"><td>{html.escape(d.what)}</td>'
        f"<td>{html.escape(d.alertname)}</td><td>{html.escape(d.severity)}</td><td>{html.escape(d.labels)}</td>"
        f"<td>{seconds_text(d.first_a)}</td><td>{seconds_text(d.first_b)}</td></tr>"
        for d in items
    )
    return (
        f'<table class="{css_class}"><thead><tr><th>difference</th><th>alert</th><th>severity</th>'
        "<th>labels</th><th>first firing, A (from onset)</th><th>first firing, B</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _differences_table(items: list[Difference]) -> str:
    by_rules = [d for d in items if d.rule_changed]
    by_timing = [d for d in items if not d.rule_changed]
    parts = [
        _differences_rows(by_rules, "differences")
        if by_rules
        else '<p class="none">Both rule sets fire the same alerts at the same times.</p>'
    ]
    if by_timing:
        parts.append(
            "<h3>Same rule in both sets: evaluation timing</h3>"
            '<p class="meta">These alerts, and every recorded series they read, are defined the same way in '
            "A and B. The two Prometheus servers scrape and evaluate a moment apart, so a condition at the "
            "edge of its threshold can hold at one's instants and not the other's.</p>"
            + _differences_rows(by_timing, "timing-differences")
        )
    return "".join(parts)


_STYLE = """
body { font-family: DejaVu Sans, Arial, sans-serif; font-size: 20px; color: #111; margin: 24px; }
h1 { font-size: 34px; margin: 0 0 8px; } h2 { font-size: 28px; } h3 { font-size: 22px; margin: 18px 0 6px; }
.meta { font-size: 20px; color: #333; }
.columns { display: grid; grid-template-columns: repeat(var(--columns), minmax(0, 1fr)); gap: 24px; }
table { border-collapse: collapse; font-size: 19px; margin-bottom: 10px; }
th, td { border: 1px solid #bbb; padding: 6px 10px; text-align: left; vertical-align: top; }
th { background: #eee; }
.severity { color: #fff; padding: 2px 10px; border-radius: 4px; font-size: 18px; }
.none { font-style: italic; }
.no-data { font-size: 20px; background: #f4f4f4; border-left: 6px solid #7f7f7f; padding: 4px 14px; }
summary { cursor: pointer; font-size: 19px; margin-bottom: 8px; }
"""


def render(backtests: list[Backtest], differences: list[Difference] | None = None) -> str:
    """The whole page: one column per rule set, the differences first when there are two."""
    title = backtests[0].title
    columns = "".join(_column(b, f"backtest-{i}") for i, b in enumerate(backtests))
    compared = ""
    if len(backtests) == 2:
        compared = (
            f"<h2>Differences in firing: A = {html.escape(backtests[0].rules)}, "
            f"B = {html.escape(backtests[1].rules)}</h2>{_differences_table(differences or [])}"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head>'
        f"<body><h1>{html.escape(title)}</h1>{compared}"
        f'<div class="columns" style="--columns:{len(backtests)}">{columns}</div></body></html>\n'
    )


__all__ = ["AlertInterval", "figure", "human", "render", "seconds_text"]
