"""The dashboard's HTML, rendered on the server with Jinja2 (autoescaped; no script, no CDN).

Each builder takes what :mod:`huracan.dashboard.reads` read and ``base``, the URL prefix the app is
mounted at (links are absolute under it). Amounts are in the account's quote currency; times UTC.
"""

from __future__ import annotations

import math
from urllib.parse import quote

import jinja2

from huracan.clock import format_ms
from huracan.dashboard.actions import TEXTS, Action, offered, refusal
from huracan.dashboard.reads import ModelPage, Overview, SymbolTrades, Trades
from huracan.memory.round_trips import SOURCES
from huracan.registry.compare import BASELINES, MODEL_METRICS
from huracan.registry.links import mlflow_run_url, mlflow_version_url
from huracan.risk.state import RiskState

_STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; font-size: 0.9em; }
th { background: #f2f2f2; }
.state-active { color: #176b1a; } .state-reducing { color: #a06000; } .state-halted { color: #b00020; }
nav a { margin-right: 1em; }
.empty { color: #555; font-style: italic; }
.refused { color: #b00020; }
form.confirm textarea { width: 40em; height: 4em; display: block; margin: 0.5em 0; }
form.confirm button { font-size: 1em; padding: 0.3em 1em; }
"""

_BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Huracan: {{ title }}</title><style>{{ style }}</style></head>
<body><nav><a href="{{ base }}/">overview</a><a href="{{ base }}/trades">trades</a></nav>
<h1>{{ title }}</h1>
{% block body %}{% endblock %}
</body></html>
"""

_MACROS = """{% macro orders_table(orders) %}
{% if orders %}<table id="orders"><tr><th>decision</th><th>account</th><th>symbol</th><th>side</th><th>kind</th>
<th>status</th><th>filled (base)</th><th>avg price</th><th>costs</th><th>source</th><th>reason</th></tr>
{% for o in orders %}<tr><td>{{ when(o.decision_ms) }}</td><td>{{ o.account }}</td><td>{{ o.symbol }}</td>
<td>{{ o.side.value }}</td><td>{{ o.kind.value }}</td><td>{{ o.status.value }}</td><td>{{ qty(o.filled_base) }}</td>
<td>{{ money(o.avg_price_quote) }}</td><td>{{ money(o.cost_quote) }}</td><td>{{ o.source }}</td><td>{{ o.reason or "-" }}</td></tr>{% endfor %}
</table>{% else %}<p class="empty">No order recorded.</p>{% endif %}
{% endmacro %}
{% macro summary_row(label, n) -%}
<tr><td>{{ label }}</td><td>{{ n.trades }}</td><td>{{ pct(n.win_rate) }}</td><td>{{ num(n.profit_factor) }}</td>
{{- "" }}<td>{{ money(n.expectancy_quote) }}</td><td>{{ money(n.avg_win_quote) }}</td><td>{{ money(n.avg_loss_quote) }}</td>
{{- "" }}<td>{{ money(n.total_profit_quote) }}</td></tr>
{%- endmacro %}
{% macro summary_table(id, first, groups) %}<table id="{{ id }}"><tr><th>{{ first }}</th><th>trades</th><th>win rate</th>
<th>profit factor</th><th>expectancy</th><th>avg win</th><th>avg loss</th><th>total profit</th></tr>
{% for label, n in groups.items() %}{{ summary_row(label, n) }}{% endfor %}</table>{% endmacro %}
{% macro risk_actions(state) %}{% for action in offered(state) %}<a class="action" href="{{ base }}/actions/{{ action.value }}?account={{ q(state.account) }}">{{ texts[action].title.lower() }}</a>{% endfor %}{% endmacro %}
{% macro symbol_link(symbol) %}{% if symbol %}<a class="symbol-trades" href="{{ base }}/trades/{{ symbol_path(symbol) }}">trades of {{ symbol }}</a>{% endif %}{% endmacro %}
"""

_OVERVIEW = """{% extends "base" %}{% import "macros" as m with context %}{% block body %}
<h2>Risk: account {{ risk.account }} ({{ currency }})</h2>
<table id="risk">
<tr><th>state</th><td class="state-{{ risk.state }}">{{ risk.state }}</td></tr>
<tr><th>reason</th><td>{{ risk.reason or "-" }}</td></tr>
<tr><th>since</th><td>{{ risk.since or "-" }}</td></tr>
<tr><th>daily P&amp;L</th><td>{{ money(risk.daily_pnl_quote) }} (limit -{{ money(risk.daily_loss_limit_quote) }},
room {{ money(risk.daily_loss_room_quote) }})</td></tr>
<tr><th>equity</th><td>{{ money(risk.last_equity_quote) }}</td></tr>
<tr><th>heat</th><td>{% if risk.snapshot %}{{ pct(risk.snapshot.heat_frac) }} of {{ pct(risk.snapshot.max_heat_frac) }}
(open notional over equity){% else %}- (no paper account yet){% endif %}</td></tr>
<tr><th>high-water mark</th><td>{{ money(risk.high_water_quote) }}</td></tr>
<tr><th>breaker</th><td>trips at equity {{ money(risk.breaker_level_quote) }} (high-water mark -
{{ money(risk.limits.breaker_loss_quote) }}); distance {{ money(risk.breaker_distance_quote) }}</td></tr>
</table>
<h2>Accounts</h2>
<table id="accounts"><tr><th>account</th><th>state</th><th>reason</th><th>since</th><th>action</th></tr>
{% for state in accounts %}<tr class="account-row"><td>{{ state.account }}</td>
<td class="state-{{ state.trading_state.value }}">{{ state.trading_state.value }}</td><td>{{ state.reason }}</td>
<td>{{ when(state.since_ms) }}</td><td>{{ m.risk_actions(state) }}</td></tr>{% endfor %}
</table>
{% for panel in models %}
<section class="model" id="{{ panel.name }}">
<h2>{{ panel.name }}</h2>
<p>{{ m.symbol_link(panel.symbol) }}</p>
{% if panel.rows %}
<table class="versions">
<tr><th>version</th><th>aliases</th><th>gate</th><th>why</th>
{% for name in metrics %}<th>{{ name }}</th>{% endfor %}
{% for b in baselines %}<th>{{ b }} Sharpe</th>{% endfor %}
<th>paper return</th><th>paper Sharpe</th><th>paper since</th></tr>
{% for row in panel.rows %}
<tr class="version-row">
<td><a href="{{ base }}/models/{{ q(panel.name) }}/{{ row.version }}">v{{ row.version }}</a></td>
<td>{{ row.aliases | join(", ") }}</td>
<td>{{ row.gate.get("decision", "-") }}</td><td>{{ row.gate.get("reason", "-") }}</td>
{% for name in metrics %}<td>{{ num(row.backtest.get(name)) }}</td>{% endfor %}
{% for b in baselines %}<td>{{ num(row.baselines.get(b, {}).get("sharpe")) }}</td>{% endfor %}
{% if row.shadow %}<td class="paper-return">{{ pct(row.shadow.total_return) }}</td><td>{{ num(row.shadow.sharpe) }}</td>
<td>{{ when(row.shadow.since_ms) }} ({{ row.shadow.ticks }} ticks on {{ row.shadow.account }})</td>
{% else %}<td colspan="3">not traded on paper yet</td>{% endif %}
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

_MODEL = """{% extends "base" %}{% import "macros" as m with context %}{% block body %}
<p><a id="mlflow-version" href="{{ version_url }}">version in MLflow</a>
{% if run_url %} · <a id="mlflow-run" href="{{ run_url }}">training run in MLflow</a>{% endif %}
{% if page.validation and page.validation.report_path %} · <a id="validation-report" href="{{ base }}/models/{{ q(page.name) }}/{{ row.version }}/validation">data validation report</a>{% endif %}
{% if page.series %} · {{ m.symbol_link(page.series.symbol) }}{% endif %}</p>
<table id="facts">
<tr><th>aliases</th><td>{{ row.aliases | join(", ") or "-" }}</td></tr>
<tr><th>registered</th><td>{{ when(row.created_ms) }}</td></tr>
<tr><th>seed</th><td>{{ row.seed or "-" }}</td></tr>
<tr><th>validation</th><td>{{ row.validation_metric or "-" }} {{ num(row.validation_score) }}</td></tr>
<tr><th>test window</th><td>{{ when(row.test_start_ms) }} to {{ when(row.test_end_ms) }} (end excluded)</td></tr>
<tr><th>paper record</th><td>{% if row.shadow %}return {{ pct(row.shadow.total_return) }}, Sharpe {{ num(row.shadow.sharpe) }},
{{ row.shadow.ticks }} ticks and {{ row.shadow.orders }} orders on {{ row.shadow.account }} since {{ when(row.shadow.since_ms) }}
{% else %}not traded on paper yet{% endif %}</td></tr>
</table>
<h2>Data validation</h2>
{% if page.validation %}{% set v = page.validation %}<table id="validation">
<tr><th>series</th><td>{{ page.series.exchange }} {{ page.series.symbol }} {{ page.series.timeframe }}</td></tr>
<tr><th>latest training validation</th><td>{{ "passed" if v.success else "FAILED" }} at {{ when(v.validated_at_ms) }}</td></tr>
<tr><th>range</th><td>{{ when(v.start_ms) }} to {{ when(v.end_ms) }}</td></tr>
<tr><th>coverage</th><td>{{ pct(v.coverage) }} ({{ v.present }} of {{ v.expected }} candles; longest gap {{ v.longest_gap }})</td></tr>
<tr><th>failed checks</th><td>{{ v.failures | join(", ") or "-" }}</td></tr>
<tr><th>warnings</th><td>{{ v.warnings | join(", ") or "-" }}</td></tr>
</table>
{% else %}<p class="empty">No recorded validation of this version's series: run <code>huracan validate</code>.</p>{% endif %}
<h2>Test window</h2>
<table id="metrics"><tr><th></th>{% for name in metrics %}<th>{{ name }}</th>{% endfor %}</tr>
<tr><td>v{{ row.version }}</td>{% for name in metrics %}<td>{{ num(row.backtest.get(name)) }}</td>{% endfor %}</tr>
{% for b, values in row.baselines.items() %}<tr><td>{{ b }}</td>{% for name in metrics %}<td>{{ num(values.get(name)) }}</td>{% endfor %}</tr>{% endfor %}
</table>
<img class="chart" alt="test window metrics" src="{{ base }}/charts/{{ q(page.name) }}/{{ row.version }}.png">
<h2>Paper account</h2>
{% if row.shadow %}<img class="chart" id="paper-chart" alt="paper account equity and drawdown" src="{{ base }}/charts/{{ q(page.name) }}/{{ row.version }}/paper.png">
{% else %}<p class="empty">Not traded on paper yet: its equity and drawdown show here from its first live tick.</p>{% endif %}
{% for plot in page.plots %}
<h3>{{ plot }}</h3>
<img class="chart" alt="{{ plot }}" src="{{ base }}/plots/{{ q(page.name) }}/{{ row.version }}/{{ plot.rsplit("/", 1)[-1] }}">
{% else %}<p>No backtest plot logged: run <code>huracan backtest</code> (equity and drawdown).</p>{% endfor %}
<h2>Gate</h2>
{% if page.gate %}<table id="gate">{% for key, value in page.gate | dictsort %}<tr><th>{{ key }}</th><td>{{ value }}</td></tr>{% endfor %}</table>
{% else %}<p>The gate has not judged this version.</p>{% endif %}
{% endblock %}"""

_TRADES = """{% extends "base" %}{% import "macros" as m with context %}{% block body %}
{% set symbols = (trades.orders | map(attribute="symbol") | list + trades.fills | map(attribute="symbol") | list) | unique | sort %}
{% if symbols %}<p>Win/loss analysis: {% for s in symbols %}{{ m.symbol_link(s) }} {% endfor %}</p>{% endif %}
<h2>Orders</h2>
{{ m.orders_table(trades.orders) }}
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


def _pct(value: float | None) -> str:
    """A fraction as a percentage with 2 decimals; ``-`` for None or NaN."""
    return "-" if value is None or math.isnan(value) else f"{value * 100:.2f} %"


def symbol_path(symbol: str) -> str:
    """The URL path of ``symbol``'s trades page below ``/trades/``: ``BTC/USDT`` -> ``BTC/USDT`` (each part
    quoted)."""
    return "/".join(quote(part, safe="") for part in symbol.split("/", 1))


def _money(value: float | None) -> str:
    """A quote amount with thousands separators and 2 decimals; ``-`` for None."""
    return "-" if value is None else f"{value:,.2f}"


_SYMBOL_TRADES = """{% extends "base" %}{% import "macros" as m with context %}{% block body %}
<p>Round trips of the trade memory: {% for s in [None] + sources | list %}{% if s == page.source %}<strong>{{ s or "every source" }}</strong>
{% else %}<a class="source" href="?{{ "source=" ~ s if s else "" }}">{{ s or "every source" }}</a>{% endif %} {% endfor %}</p>
{% if not page.trips %}
<p class="empty" id="no-trades">No round trip of {{ page.symbol }}{{ " from " ~ page.source if page.source }} is recorded in the
trade memory yet. <code>huracan trades record --symbol {{ page.symbol }} --source paper</code> derives them from the
recorded fills (one per flat &rarr; long &rarr; flat).</p>
{% else %}{% set a = page.analysis %}
<h2>Overall</h2>
{{ m.summary_table("overall", "", {"all": a.overall}) }}
<p>Profit in {{ currency }} after fees; win rate: trips with a profit; profit factor: gross profit / gross loss;
expectancy: mean profit per trip.</p>
<h2>By market regime at entry</h2>
{% if a.by_regime %}{{ m.summary_table("by-regime", "regime", a.by_regime) }}{% else %}<p class="empty">No entry observation recorded.</p>{% endif %}
<h2>By holding time</h2>
{{ m.summary_table("by-holding-time", "held", a.by_holding_time) }}
<h2>By model version</h2>
{{ m.summary_table("by-model-version", "model", a.by_model_version) }}
<h2>Biggest losers</h2>
{% if a.biggest_losers %}<table id="losers"><tr><th>entry</th><th>account</th><th>profit</th><th>profit %</th><th>unusual at entry (z-score)</th></tr>
{% for l in a.biggest_losers %}<tr><td>{{ when(l.entry_ms) }}</td><td>{{ l.account }}</td><td>{{ money(l.profit_quote) }}</td>
{{- "" }}<td>{{ pct(l.profit_frac) }}</td><td>{% for u in l.unusual_at_entry %}{{ u.feature }} {{ "%+.1f" | format(u.z) }}{{ ", " if not loop.last }}{% else %}-{% endfor %}</td></tr>{% endfor %}
</table>{% else %}<p class="empty">No losing round trip.</p>{% endif %}
{% endif %}
<h2>Latest orders of {{ page.symbol }}</h2>
{{ m.orders_table(page.orders) }}
{% endblock %}"""

_CONFIRM = """{% extends "base" %}{% block body %}
<table id="state">
<tr><th>account</th><td>{{ state.account }}</td></tr>
<tr><th>state</th><td class="state-{{ state.trading_state.value }}">{{ state.trading_state.value }}</td></tr>
<tr><th>reason</th><td>{{ state.reason }}</td></tr>
<tr><th>since</th><td>{{ when(state.since_ms) }}</td></tr>
<tr><th>latest equity</th><td>{{ money(state.last_equity_quote) }}</td></tr>
<tr><th>high-water mark</th><td>{{ money(state.high_water_quote) }}</td></tr>
</table>
{% if refused %}<p class="refused" id="refused">{{ refused }}</p>
{% else %}<p id="effect">{{ text.effect }}</p>
<form class="confirm" method="post" action="{{ base }}/actions/{{ action.value }}">
<input type="hidden" name="account" value="{{ state.account }}">
<input type="hidden" name="token" value="{{ token }}">
<label for="reason">Why (recorded with your name, {{ user }}):</label>
<textarea id="reason" name="reason" required></textarea>
<button type="submit" id="confirm">Confirm: {{ text.title.lower() }}</button>
<a href="{{ base }}/">cancel</a>
</form>{% endif %}
{% endblock %}"""

_DONE = """{% extends "base" %}{% block body %}
<p id="done">Account {{ after.account }}: {{ before.trading_state.value.upper() }} &rarr; {{ after.trading_state.value.upper() }};
{{ after.reason }}</p>
<p>Recorded as a risk event by {{ user }}. <a href="{{ base }}/">Back to the overview</a></p>
{% endblock %}"""

_REFUSED = """{% extends "base" %}{% block body %}
<p class="refused" id="refused">{{ message }}</p>
<p>Nothing was changed. <a href="{{ base }}/">Back to the overview</a></p>
{% endblock %}"""

_ENV = jinja2.Environment(
    loader=jinja2.DictLoader(
        {
            "base": _BASE,
            "macros": _MACROS,
            "overview": _OVERVIEW,
            "model": _MODEL,
            "trades": _TRADES,
            "symbol_trades": _SYMBOL_TRADES,
            "confirm": _CONFIRM,
            "done": _DONE,
            "refused": _REFUSED,
        }
    ),
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
    pct=_pct,
    symbol_path=symbol_path,
    offered=offered,
    texts=TEXTS,
    sources=SOURCES,
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
        accounts=overview.accounts,
    )


def model_html(page: ModelPage, base: str, mlflow_ui_url: str) -> str:
    """One version: facts, test-window metrics and baselines, charts, every gate tag, MLflow links."""
    row = page.row
    run_url = None  # without a run, or when the run is gone (no experiment to link it under)
    if row.run_id and page.experiment_id:
        run_url = mlflow_run_url(mlflow_ui_url, page.experiment_id, row.run_id)
    return _ENV.get_template("model").render(
        title=f"{page.name} v{row.version}",
        base=base,
        page=page,
        row=row,
        version_url=mlflow_version_url(mlflow_ui_url, page.name, row.version),
        run_url=run_url,
    )


def trades_html(trades: Trades, base: str) -> str:
    """Orders and fills of every account, newest first."""
    return _ENV.get_template("trades").render(title="Huracan trades", base=base, trades=trades)


def symbol_trades_html(page: SymbolTrades, base: str, currency: str) -> str:
    """One symbol's trades page: the win/loss analysis of its round trips (an empty state when none is
    recorded), by regime, holding time and model version, the biggest losers, and its latest orders."""
    return _ENV.get_template("symbol_trades").render(
        title=f"Huracan trades: {page.symbol}", base=base, page=page, currency=currency
    )


def confirm_html(action: Action, state: RiskState, user: str, token: str, base: str) -> str:
    """The confirm page of ``action`` on ``state``'s account: the state, what the action does and a POST
    form with the reason and ``token``; when the action does not apply, why, and no form."""
    return _ENV.get_template("confirm").render(
        title=f"{TEXTS[action].title}: account {state.account}",
        base=base,
        action=action,
        text=TEXTS[action],
        state=state,
        refused=refusal(action, state),
        user=user,
        token=token,
    )


def done_html(action: Action, before: RiskState, after: RiskState, user: str, base: str) -> str:
    """The page after a confirmed action: the state change, and who it is recorded for."""
    return _ENV.get_template("done").render(
        title=f"{TEXTS[action].title}: done", base=base, before=before, after=after, user=user
    )


def refused_html(message: str, base: str) -> str:
    """The page of a refused action: why, and that nothing changed."""
    return _ENV.get_template("refused").render(title="Huracan: action refused", base=base, message=message)
