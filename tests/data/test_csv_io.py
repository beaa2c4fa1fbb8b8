"""CSV import and export: strict checking before any write, exact round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from huracan.data.candle_store import CandleStore, SeriesKey
from huracan.data.csv_io import export_csv, import_csv
from huracan.errors import CsvFormatError, NoDataError

KEY = SeriesKey("binance", "BTC/USDT", "1d")
GOOD = """timestamp,open,high,low,close,volume
1502928000000,4261.48,4485.39,4200.74,4285.08,795.150377
1503014400000,4285.08,4371.52,3938.77,4108.37,1199.888264
1503100800000,4108.37,4184.69,3850.0,4139.98,381.309763
1503187200000,4120.98,4211.08,4032.62,4086.29,467.083022
"""


def write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_export_after_import_gives_back_the_same_file(store_url: str, tmp_path: Path) -> None:
    store = CandleStore.open(store_url)
    assert import_csv(store, KEY, write(tmp_path, GOOD)) == 4
    out = tmp_path / "out" / "btc.csv"
    assert export_csv(store, KEY, out) == 4
    assert out.read_text() == GOOD


def test_iso_timestamps_are_accepted(store_url: str, tmp_path: Path) -> None:
    store = CandleStore.open(store_url)
    text = GOOD.replace("1502928000000", "2017-08-17T00:00:00Z").replace("1503014400000", "2017-08-18 00:00:00")
    import_csv(store, KEY, write(tmp_path, text))
    out = tmp_path / "out.csv"
    export_csv(store, KEY, out)
    assert out.read_text() == GOOD


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("1503273600000,4069.13,4119.62,3911.79,4016.0", "line 6: expected 6 fields, found 5"),
        ("1503273600000,4069.13,abc,3911.79,4016.0,1.0", "line 6: high 'abc' is not a number"),
        ("1503273600000,4069.13,4119.62,nan,4016.0,1.0", "line 6: low 'nan' is not a finite number"),
        ("yesterday,4069.13,4119.62,3911.79,4016.0,1.0", "line 6: timestamp 'yesterday' is neither"),
        ("1503187200000,4069.13,4119.62,3911.79,4016.0,1.0", "line 6: timestamp 1503187200000 already on line 5"),
    ],
)
def test_a_malformed_row_imports_nothing_and_names_the_line(
    store_url: str, tmp_path: Path, line: str, problem: str
) -> None:
    store = CandleStore.open(store_url)
    path = write(tmp_path, GOOD + line + "\n")
    with pytest.raises(CsvFormatError) as caught:
        import_csv(store, KEY, path)
    assert problem in str(caught.value)
    assert "nothing imported" in str(caught.value)
    assert store.bounds(KEY) is None


def test_a_wrong_header_is_named(store_url: str, tmp_path: Path) -> None:
    store = CandleStore.open(store_url)
    with pytest.raises(CsvFormatError, match="line 1: header must be"):
        import_csv(store, KEY, write(tmp_path, GOOD.replace("timestamp", "time")))


def test_export_of_an_empty_series_writes_no_file(store_url: str, tmp_path: Path) -> None:
    with pytest.raises(NoDataError, match="BTC/USDT 1d"):
        export_csv(CandleStore.open(store_url), KEY, tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_real_daily_candles_round_trip(shared_data: Path, tmp_path: Path) -> None:
    store = CandleStore.open(f"sqlite:///{tmp_path / 's.db'}")
    source = shared_data / "binance_BTC-USDT_1d.csv"
    assert import_csv(store, KEY, source) == 3110
    export_csv(store, KEY, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text() == source.read_text()


# --- issue 9, finding 7 (and 3 for imported candles): refused before anything is stored ----------


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("99999999999999999999,4069.13,4119.62,3911.79,4016.0,1.0", "is outside 2000-01-01 00:00 .. 2100-01-01"),
        ("1503273600,4069.13,4119.62,3911.79,4016.0,1.0", "looks like seconds"),
        ("1503273600000,4069.13,3900.0,3911.79,4016.0,1.0", "high 3900 / low 3911.79 do not contain"),
        ("1503273600000,4069.13,4119.62,-3911.79,4016.0,1.0", "price not positive"),
        ("1503273600000,4069.13,4119.62,3911.79,4016.0,-1.0", "negative volume"),
        ("1503277200000,4069.13,4119.62,3911.79,4016.0,1.0", "is not on the 86400000 ms grid"),
        ("3999974400000,4069.13,4119.62,3911.79,4016.0,1.0", "has not closed yet"),
    ],
    ids=["beyond-int64", "seconds", "high-below-body", "negative-price", "negative-volume", "off-grid", "future"],
)
def test_a_bad_timestamp_or_candle_imports_nothing(store_url: str, tmp_path: Path, line: str, problem: str) -> None:
    store = CandleStore.open(store_url)
    with pytest.raises(CsvFormatError) as caught:
        import_csv(store, KEY, write(tmp_path, GOOD + line + "\n"))
    assert "line 6: " in str(caught.value) and problem in str(caught.value)
    assert store.bounds(KEY) is None


def test_a_header_only_file_is_an_error(store_url: str, tmp_path: Path) -> None:
    with pytest.raises(CsvFormatError, match="header but no candles"):
        import_csv(CandleStore.open(store_url), KEY, write(tmp_path, GOOD.splitlines()[0] + "\n"))


def test_a_binary_file_is_a_one_line_error(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "candles.parquet"
    path.write_bytes(b"PAR1\x15\x04\x15\x80\xfa\x01\xff\xfe" * 50)
    with pytest.raises(CsvFormatError, match="not UTF-8 text"):
        import_csv(CandleStore.open(store_url), KEY, path)
