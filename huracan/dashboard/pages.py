"""The dashboard's HTML, rendered on the server with Jinja2 (autoescaped; no script, no CDN).

Each builder takes what :mod:`huracan.dashboard.reads` read and ``base``, the URL prefix the app is
mounted at (links are absolute under it). Amounts are in the account's quote currency; times UTC.
"""

from __future__ import annotations

import math
from urllib.parse import quote

import jinja2

from huracan.clock import format_ms
from huracan.dashboard.reads import ModelPage, Overview, Trades
from huracan.registry.compare import BASELINES, MODEL_METRICS

_STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; font-size: 0.9em; }
th { background: #f2f2f2; }
.state-active { color: #176b1a; } .state-reducing { color: #a06000; } .state-halted { color: #b00020; }
nav a { margin-right: 1em; }
"""

_BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Huracan: {{ title }}</title><style>{{ style }}</style></head>
<body><nav><a href="{{ base }}/">overview</a><a href="{{ base }}/trades">trades</a></nav>
<h1>{{ title }}</h1>
{% block body %}{% endblock %}
</body></html>
"""

_OVERVIEW = """{% extends "base" %}{% block body %}
<h2>Risk: account {{ risk.account }} ({{ currency }})</h2>
<table id="risk">
<tr><th>state</th><td class="state-{{ risk.state }}">{{ risk.state }}</td></tr>
<tr><th>reason</th><td>{{ risk.reason or "-" }}</td></tr>
<tr><th>since</th><td>{{ risk.since or "-" }}</td></tr>
<tr><th>daily P&amp;L</th><td>{{ money(risk.daily_pnl_quote) }} (limit -{{ money(risk.daily_loss_limit_quote) }})</td></tr>
<tr><th>equity</th><td>{{ money(risk.last_equity_quote) }}</td></tr>
<tr><th>high-water mark</th><td>{{ money(risk.high_water_quote) }}</td></tr>
<tr><th>distance to breaker</th><td>{{ money(risk.breaker_distance_quote) }}</td></tr>
</table>
{% for panel in models %}
<section class="model" id="{{ panel.name }}">
<h2>{{ panel.name }}</h2>
{% if panel.rows %}
<table class="versions">
<tr><th>version</th><th>aliases</th><th>gate</th><th>why</th>
{% for m in metrics %}<th>{{ m }}</th>{% endfor %}
{% for b in baselines %}<th>{{ b }} Sharpe</th>{% endfor %}</tr>
{% for row in panel.rows %}
<tr class="version-row">
<td><a href="{{ base }}/models/{{ q(panel.name) }}/{{ row.version }}">v{{ row.version }}</a></td>
<td>{{ row.aliases | join(", ") }}</td>
<td>{{ row.gate.get("decision", "-") }}</td><td>{{ row.gate.get("reason", "-") }}</td>
{% for m in metrics %}<td>{{ num(row.backtest.get(m)) }}</td>{% endfor %}
{% for b in baselines %}<td>{{ num(row.baselines.get(b, {}).get("sharpe")) }}</td>{% endfor %}
</tr>
{% endfor %}
</table>
{% for row in panel.rows %}
<img class="chart" alt="test window of v{{ row.version }}" src="{{ base }}/charts/{{ q(panel.name) }}/{{ row.version }}.png">
{% endfor %}
{% else %}<p>No champion or challenger yet.</p>{% endif %}
{% if panel.books %}
<table class="books"><tr><th>symbol</th><th>position (base)</th><th>avg entry</th><th>mark</th><th>equity</th>
<th>unrealised</th><th>realised</th><th>costs</th><th>target</th><th>halted</th></tr>
{% for book in panel.books %}
<tr><td>{{ book.symbol }}</td><td>{{ qty(book.position_base) }}</td><td>{{ money(book.avg_entry_quote) }}</td>
<td>{{ money(book.mark_quote) }} at {{ when(book.mark_ms) }}</td><td>{{ money(book.equity_quote()) }}</td>
<td>{{ money(book.unrealised_pnl_quote()) }}</td><td>{{ money(book.realised_pnl_quote) }}</td>
<td>{{ money(book.costs_quote) }}</td><td>{{ num(book.target_frac) }}</td><td>{{ book.halted_reason or "-" }}</td></tr>
{% endfor %}</table>
{% else %}<p>No paper position in this symbol.</p>{% endif %}
</section>
{% else %}<p>No Huracan model is registered yet: run <code>huracan train</code>.</p>{% endfor %}
{% endblock %}"""

_MODEL = """{% extends "base" %}{% block body %}
<p><a id="mlflow-version" href="{{ mlflow }}/#/models/{{ q(page.name) }}/versions/{{ row.version }}">version in MLflow</a>
{% if row.run_id %} · <a id="mlflow-run" href="{{ mlflow }}/#/experiments/{{ page.experiment_id }}/runs/{{ row.run_id }}">training run in MLflow</a>{% endif %}</p>
<table id="facts">
<tr><th>aliases</th><td>{{ row.aliases | join(", ") or "-" }}</td></tr>
<tr><th>registered</th><td>{{ when(row.created_ms) }}</td></tr>
<tr><th>seed</th><td>{{ row.seed or "-" }}</td></tr>
<tr><th>validation</th><td>{{ row.validation_metric or "-" }} {{ num(row.validation_score) }}</td></tr>
<tr><th>test window</th><td>{{ when(row.test_start_ms) }} to {{ when(row.test_end_ms) }} (end excluded)</td></tr>
</table>
<h2>Test window</h2>
<table id="metrics"><tr><th></th>{% for m in metrics %}<th>{{ m }}</th>{% endfor %}</tr>
<tr><td>v{{ row.version }}</td>{% for m in metrics %}<td>{{ num(row.backtest.get(m)) }}</td>{% endfor %}</tr>
{% for b, values in row.baselines.items() %}<tr><td>{{ b }}</td>{% for m in metrics %}<td>{{ num(values.get(m)) }}</td>{% endfor %}</tr>{% endfor %}
</table>
<img class="chart" alt="test window metrics" src="{{ base }}/charts/{{ q(page.name) }}/{{ row.version }}.png">
{% for plot in page.plots %}
<h3>{{ plot }}</h3>
<img class="chart" alt="{{ plot }}" src="{{ base }}/plots/{{ q(page.name) }}/{{ row.version }}/{{ plot.rsplit("/", 1)[-1] }}">
{% else %}<p>No backtest plot logged: run <code>huracan backtest</code> (equity and drawdown).</p>{% endfor %}
<h2>Gate</h2>
{% if page.gate %}<table id="gate">{% for key, value in page.gate | dictsort %}<tr><th>{{ key }}</th><td>{{ value }}</td></tr>{% endfor %}</table>
{% else %}<p>The gate has not judged this version.</p>{% endif %}
{% endblock %}"""

_TRADES = """{% extends "base" %}{% block body %}
<h2>Orders</h2>
{% if trades.orders %}<table id="orders"><tr><th>decision</th><th>account</th><th>symbol</th><th>side</th><th>kind</th>
<th>status</th><th>filled (base)</th><th>avg price</th><th>costs</th><th>source</th><th>reason</th></tr>
{% for o in trades.orders %}<tr><td>{{ when(o.decision_ms) }}</td><td>{{ o.account }}</td><td>{{ o.symbol }}</td>
<td>{{ o.side.value }}</td><td>{{ o.kind.value }}</td><td>{{ o.status.value }}</td><td>{{ qty(o.filled_base) }}</td>
<td>{{ money(o.avg_price_quote) }}</td><td>{{ money(o.cost_quote) }}</td><td>{{ o.source }}</td><td>{{ o.reason or "-" }}</td></tr>{% endfor %}
</table>{% else %}<p>No order recorded.</p>{% endif %}
<h2>Fills</h2>
{% if trades.fills %}<table id="fills"><tr><th>time</th><th>account</th><th>symbol</th><th>side</th><th>qty (base)</th>
<th>price</th><th>fee</th><th>costs</th><th>maker</th></tr>
{% for f in trades.fills %}<tr><td>{{ when(f.ts_ms) }}</td><td>{{ f.account }}</td><td>{{ f.symbol }}</td><td>{{ f.side.value }}</td>
<td>{{ qty(f.qty_base) }}</td><td>{{ money(f.price_quote) }}</td><td>{{ money(f.fee_quote) }}</td>
<td>{{ money(f.cost_quote) }}</td><td>{{ "yes" if f.maker else "no" }}</td></tr>{% endfor %}
</table>{% else %}<p>No fill recorded.</p>{% endif %}
{% endblock %}"""


def _num(value: float | None) -> str:
    """A metric or fraction to 4 significant digits; ``-`` for None or NaN."""
    return "-" if value is None or math.isnan(value) else f"{value:.4g}"


def _qty(value: float) -> str:
    """A base quantity to 6 decimals."""
    return f"{value:.6f}"


def _money(value: float | None) -> str:
    """A quote amount with thousands separators and 2 decimals; ``-`` for None."""
    return "-" if value is None else f"{value:,.2f}"


_ENV = jinja2.Environment(
    loader=jinja2.DictLoader({"base": _BASE, "overview": _OVERVIEW, "model": _MODEL, "trades": _TRADES}),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_ENV.globals.update(
    style=_STYLE,
    num=_num,
    qty=_qty,
    money=_money,
    when=format_ms,
    q=lambda text: quote(text, safe=""),
    metrics=MODEL_METRICS,
    baselines=BASELINES,
)


def overview_html(overview: Overview, base: str) -> str:
    """The overview: the risk state, then per model its champion and challenger (gate decision and why,
    test-window metrics beside the baselines' Sharpe, a chart each) and the paper books of its symbol."""
    return _ENV.get_template("overview").render(
        title="Huracan overview",
        base=base,
        models=overview.models,
        risk=overview.risk.to_dict(),
        currency=overview.currency,
    )


def model_html(page: ModelPage, base: str, mlflow_ui_url: str) -> str:
    """One version: facts, test-window metrics and baselines, charts, every gate tag, MLflow links."""
    return _ENV.get_template("model").render(
        title=f"{page.name} v{page.row.version}",
        base=base,
        page=page,
        row=page.row,
        mlflow=mlflow_ui_url.rstrip("/"),
    )


def trades_html(trades: Trades, base: str) -> str:
    """Orders and fills of every account, newest first."""
    return _ENV.get_template("trades").render(title="Huracan trades", base=base, trades=trades)
