"""The dashboard's page builders on a real MLflow store: what the overview, model and trades pages show."""

from __future__ import annotations

import re

from markupsafe import escape as html_escape

from huracan.dashboard import charts, pages, reads
from huracan.dashboard.reads import Trades
from tests.dashboard.conftest import Seeded

PNG = b"\x89PNG\r\n\x1a\n"


def test_overview_shows_the_challenger_with_its_gate_decision_reasons_and_metrics(seeded: Seeded) -> None:
    overview = reads.read_overview(seeded.settings, seeded.client)
    assert [panel.name for panel in overview.models] == [seeded.name]
    (row,) = overview.models[0].rows
    assert row.version == seeded.version and row.aliases == ("challenger",)
    assert row.gate["decision"] == "rejected" and "buy & hold" in row.gate["reason"]
    html = pages.overview_html(overview, "/huracan")
    assert f'href="/huracan/models/{seeded.name}/{seeded.version}"' in html
    assert f'src="/huracan/charts/{seeded.name}/{seeded.version}.png"' in html
    assert re.search(r"<td>challenger</td>\s*<td>rejected</td><td>rejected: Sharpe [^<]* buy &amp; hold", html)
    sharpe = pages._num(row.backtest["sharpe"])
    assert f"<td>{sharpe}</td>" in html
    assert 'class="state-active">active' in html
    assert "No paper position in this symbol." in html


def test_model_page_links_mlflow_and_shows_every_gate_tag_and_the_backtest_plot(seeded: Seeded) -> None:
    page = reads.read_model(seeded.settings, seeded.client, seeded.name, seeded.version)
    assert page.plots and all(plot.startswith("backtest/") for plot in page.plots)
    html = pages.model_html(page, "/huracan", "http://mlflow.example:5000/")
    assert f'href="http://mlflow.example:5000/#/models/{seeded.name}/versions/{seeded.version}"' in html
    assert f"/runs/{page.row.run_id}" in html
    for key, value in page.gate.items():
        assert f"<th>{key}</th><td>{html_escape(value)}</td>" in html
    file = page.plots[0].rsplit("/", 1)[-1]
    assert f'src="/huracan/plots/{seeded.name}/{seeded.version}/{file}"' in html


def test_unknown_version_is_named_in_the_error(seeded: Seeded) -> None:
    import pytest

    from huracan.errors import ModelNotFoundError

    with pytest.raises(ModelNotFoundError, match=f"{seeded.name} has no version '99'"):
        reads.read_model(seeded.settings, seeded.client, seeded.name, "99")


def test_metrics_chart_is_a_png_also_before_any_backtest(seeded: Seeded) -> None:
    page = reads.read_model(seeded.settings, seeded.client, seeded.name, seeded.version)
    assert charts.metrics_chart(page.row, "t").startswith(PNG)
    bare = type(page.row)(**{**page.row.__dict__, "backtest": {}, "baselines": {}})
    assert charts.metrics_chart(bare, "t").startswith(PNG)


def test_empty_trades_page_and_missing_numbers() -> None:
    html = pages.trades_html(Trades((), ()), "/x")
    assert "No order recorded." in html and "No fill recorded." in html
    assert pages._num(float("nan")) == "-" and pages._money(None) == "-"


def test_a_manual_paper_buy_shows_on_the_overview_and_the_trades_page(seeded: Seeded, planted) -> None:  # type: ignore[no-untyped-def]
    from huracan.execution.paper import PaperBroker
    from huracan.live.replay import bar_at
    from huracan.risk import Side
    from tests.registry.conftest import DAY, SYMBOL

    data, _ = planted
    row = 1000
    close_ms = int(data.open_time_ms[row]) + DAY.ms
    PaperBroker.from_settings(seeded.settings).order(
        SYMBOL, Side.BUY, 1000.0, bar_at(data, row), close_ms, close_ms, "t"
    )

    overview = reads.read_overview(seeded.settings, seeded.client)
    (book,) = overview.models[0].books
    assert book.symbol == SYMBOL and book.position_base > 0
    html = pages.overview_html(overview, "/huracan")
    assert f"<td>{SYMBOL}</td><td>{pages._qty(book.position_base)}</td>" in html

    trades = reads.read_trades(seeded.settings)
    (order,) = trades.orders
    assert order.source == "manual:t" and order.status.value == "filled"
    assert trades.fills and all(fill.client_order_id == order.client_order_id for fill in trades.fills)
    html = pages.trades_html(trades, "/huracan")
    assert "<td>manual:t</td>" in html and "<td>filled</td>" in html
    assert html.count("<td>buy</td>") == 1 + len(trades.fills)
