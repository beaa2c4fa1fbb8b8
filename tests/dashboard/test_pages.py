"""The dashboard's page builders on a real MLflow store: what the overview, model and trades pages show."""

from __future__ import annotations

import re
from dataclasses import replace

from markupsafe import escape as html_escape

from huracan.clock import parse_instant_ms
from huracan.config import Settings
from huracan.dashboard import charts, pages, reads
from huracan.dashboard.reads import Trades
from huracan.memory.round_trips import RoundTrip
from huracan.memory.store import TradeMemory
from huracan.registry.links import mlflow_run_url
from tests.dashboard.conftest import Seeded, signed_in

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
    run_url = mlflow_run_url("http://mlflow.example:5000", page.experiment_id, page.row.run_id)
    assert page.experiment_id and f'<a id="mlflow-run" href="{run_url}">' in html  # the task logs' link
    gone = pages.model_html(replace(page, experiment_id=""), "/huracan", "http://mlflow.example:5000/")
    assert 'id="mlflow-version"' in gone and 'id="mlflow-run"' not in gone  # a run that is gone is not linked
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


def _trip(entry_ms: int, hours: int, profit_quote: float, version: str) -> RoundTrip:
    return RoundTrip(
        account="paper",
        symbol="BTC/USDT",
        timeframe="1h",
        source="paper",
        entry_ms=entry_ms,
        exit_ms=entry_ms + hours * 3_600_000,
        entry_price_quote=50_000.0,
        exit_price_quote=50_000.0 + profit_quote * 10,
        qty_base=0.1,
        fees_quote=1.0,
        profit_quote=profit_quote,
        profit_frac=profit_quote / 5_000.0,
        holding_ms=hours * 3_600_000,
        mae_frac=-0.01,
        mfe_frac=0.02,
        model_name="huracan-BTC-USDT-1h",
        model_version=version,
    )


def test_symbol_trades_page_says_when_nothing_is_recorded(settings: Settings) -> None:
    page = reads.read_symbol_trades(settings, "BTC/USDT")
    assert page.trips == 0 and page.orders == ()
    html = pages.symbol_trades_html(page, "/huracan", "USDT")
    assert 'id="no-trades"' in html and "No round trip of BTC/USDT is recorded" in html
    assert "huracan trades record --symbol BTC/USDT --source paper" in html
    assert 'id="overall"' not in html and "No order recorded." in html
    narrowed = pages.symbol_trades_html(reads.read_symbol_trades(settings, "BTC/USDT", "live"), "/huracan", "USDT")
    assert "No round trip of BTC/USDT from live" in narrowed and "<strong>live</strong>" in narrowed


def test_symbol_trades_page_shows_the_win_loss_analysis(settings: Settings) -> None:
    day = 86_400_000
    TradeMemory.open(settings.store_url).record(
        [_trip(day, 2, 100.0, "1"), _trip(2 * day, 30, -50.0, "1"), _trip(3 * day, 2, 30.0, "2")]
    )
    TradeMemory.open(settings.store_url).record([replace(_trip(day, 2, 7.0, "1"), symbol="ETH/USDT")])
    page = reads.read_symbol_trades(settings, "BTC/USDT")
    assert page.trips == 3
    html = pages.symbol_trades_html(page, "/huracan", "USDT")
    # 2 wins of 3, gross win 130 / gross loss 50, mean profit 80 / 3
    overall = re.search(r'<table id="overall">.*?</table>', html, re.S)
    assert (
        overall
        and "<td>3</td><td>66.67 %</td>" in overall.group(0)
        and "<td>2.6</td><td>26.67</td>" in overall.group(0)
    )
    assert "<td>65.00</td><td>-50.00</td><td>80.00</td>" in overall.group(0)  # avg win, avg loss, total
    assert "<td>&lt;=4h</td><td>2</td><td>100.00 %</td>" in html and "<td>&gt;1d</td><td>1</td><td>0.00 %</td>" in html
    assert "<td>huracan-BTC-USDT-1h v1</td><td>2</td>" in html and "<td>huracan-BTC-USDT-1h v2</td><td>1</td>" in html
    losers = re.search(r'<table id="losers">.*?</table>', html, re.S)
    assert losers and losers.group(0).count("<tr>") == 2 and "<td>-50.00</td><td>-1.00 %</td>" in losers.group(0)
    assert "No entry observation recorded." in html  # trips recorded without their observation have no regime
    assert reads.read_symbol_trades(settings, "BTC/USDT", "backtest").trips == 0


def test_a_bad_source_is_named() -> None:
    import pytest

    with pytest.raises(ValueError, match="source must be one of backtest, paper, live, shadow, got 'demo'"):
        reads.read_symbol_trades(Settings(), "BTC/USDT", "demo")


def test_overview_and_model_page_link_the_symbol_trades_and_show_risk_and_validation(seeded: Seeded) -> None:
    from tests.registry.conftest import SYMBOL

    overview = reads.read_overview(seeded.settings, seeded.client)
    assert overview.models[0].symbol == SYMBOL and [s.account for s in overview.accounts] == ["paper"]
    html = pages.overview_html(overview, "/huracan")
    link = f'href="/huracan/trades/{pages.symbol_path(SYMBOL)}"'
    assert link in html and "not traded on paper yet" in html
    assert "<th>heat</th><td>- (no paper account yet)" in html and "<th>breaker</th><td>trips at equity" in html
    assert 'href="/huracan/actions/pause?account=paper">pause trading</a>' in html

    page = reads.read_model(seeded.settings, seeded.client, seeded.name, seeded.version)
    assert page.series is not None and page.series.symbol == SYMBOL
    html = pages.model_html(page, "/huracan", "http://mlflow.example:5000")
    assert link in html
    if page.validation is None:
        assert "No recorded validation of this version's series" in html
    else:
        assert '<table id="validation">' in html
        assert ("passed" if page.validation.success else "FAILED") in html


def test_the_model_page_links_the_data_docs_of_its_series_validation(seeded: Seeded) -> None:
    from huracan.dashboard.app import create_app
    from huracan.quality import validate_series
    from huracan.series import SeriesKey
    from tests.registry.conftest import SYMBOL

    report = validate_series(seeded.settings, SeriesKey(seeded.settings.exchange, SYMBOL, "1d"))
    page = reads.read_model(seeded.settings, seeded.client, seeded.name, seeded.version)
    assert page.validation is not None and page.validation.report_path == str(report.report_dir)
    html = pages.model_html(page, "/huracan", "http://mlflow.example:5000")
    link = f'href="/huracan/models/{seeded.name}/{seeded.version}/validation"'
    assert link in html and '<table id="validation">' in html
    with signed_in(create_app(seeded.settings, secret_key="s"), "alice") as client:
        docs = client.get(f"/models/{seeded.name}/{seeded.version}/validation")
        assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
        assert "huracan training" in docs.text  # the GX run name of a training validation
        trades = client.get(f"/trades/{pages.symbol_path(SYMBOL)}")
        assert trades.status_code == 200 and 'id="no-trades"' in trades.text
        assert client.get("/trades/BTC/USDT", params={"source": "demo"}).status_code == 400
        assert client.get("/trades/B%20C/USDT").status_code == 400


def test_a_versions_paper_record_shows_on_the_overview_and_as_a_chart_on_its_page(seeded: Seeded) -> None:
    from huracan.live.decisions import Decision, DecisionStore
    from huracan.live.shadow import shadow_account
    from tests.registry.conftest import SYMBOL

    account = shadow_account(seeded.name, seeded.version)
    store = DecisionStore.open(seeded.settings.store_url)
    start = parse_instant_ms("2026-11-01T00:00:00Z")
    for day, equity in enumerate((100_000.0, 101_000.0, 99_990.0, 102_000.0)):
        at_ms = start + day * 86_400_000
        store.record(
            Decision(
                account,
                SYMBOL,
                "1d",
                at_ms,
                "challenger",
                seeded.name,
                seeded.version,
                None,
                None,
                5,
                0,
                1.0,
                None,
                "approved",
                "[]",
                "",
                equity,
                at_ms,
            )
        )
    overview = reads.read_overview(seeded.settings, seeded.client)
    (row,) = overview.models[0].rows
    assert row.shadow["ticks"] == 4 and row.shadow["account"] == account
    html = pages.overview_html(overview, "/huracan")
    assert '<td class="paper-return">2.00 %</td>' in html and f"(4 ticks on {account})" in html

    page = reads.read_model(seeded.settings, seeded.client, seeded.name, seeded.version)
    times_ms, equity = reads.read_paper_equity(seeded.settings, page)
    assert times_ms[0] == start and equity == [100_000.0, 101_000.0, 99_990.0, 102_000.0]
    html = pages.model_html(page, "/huracan", "http://mlflow.example:5000")
    assert f'src="/huracan/charts/{seeded.name}/{seeded.version}/paper.png"' in html
    assert "return 2.00 %, Sharpe" in html and "4 ticks and 4 orders" in html
    assert charts.paper_chart(times_ms, equity, "t", "USDT").startswith(PNG)
    assert charts.paper_chart([], [], "t", "USDT").startswith(PNG)
