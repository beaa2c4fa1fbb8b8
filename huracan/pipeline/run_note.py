"""The training DAG run's note: one line per symbol saying whether its model was promoted or rejected, why,
and with which numbers; and what the gate would have needed when it rejected.

Airflow 3 shows a DAG run's note on the run's page (Markdown). A task may not write the metadata database
(the Task SDK talks to the execution API, which can read a run's note but not set it), so the promote
task sets it through Airflow's public REST API, ``PATCH /api/v2/dags/{dag_id}/dagRuns/{run_id}`` with
``update_mask=note``, authenticated as the user of the Airflow connection ``huracan_airflow_api`` (host:
the API server's URL; login and password: an Airflow user; ``make airflow-ui`` configures it for the
local Airflow). Mapped promote tasks of one run each replace only their own symbol's line.

Without the connection or a reachable API server (``make run`` runs the DAG with ``airflow dags test``,
no API server) the task says so in its log and returns its line; ``make run`` then writes the note from
outside the task (:func:`huracan.pipeline.run_record.write_note`).

Numbers: Sharpe ratios are annualised, drawdowns fractions of peak equity shown as percent.
"""

from __future__ import annotations

import json
import logging
import math
import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from huracan.clock import format_ms
from huracan.registry.links import mlflow_version_url

log = logging.getLogger(__name__)

API_CONNECTION = "huracan_airflow_api"
"""The Airflow connection the promote task sets the run note with (the API server's URL and a user)."""
NOTE_MAX_CHARS = 1000
"""Airflow's limit on a DAG run note."""
FLAT_LABEL = "staying flat's"
_TIMEOUT_S = 10.0


def _sharpe(value: float | None) -> str:
    if value is None:
        return "none"
    return "NaN" if not math.isfinite(value) else f"{value:.2f}"


def _short_by(value: float, bar: float) -> str:
    if not (math.isfinite(value) and math.isfinite(bar)):
        return "not measurable"
    gap = bar - value
    return f"short by {gap:.2f}" if gap >= 0.005 else "short by less than 0.01"


def shortfalls(
    checks: Sequence[Mapping[str, Any]], evidence: Mapping[str, Any], thresholds: Mapping[str, Any]
) -> list[str]:
    """What each failed gate check would have needed, in words with the numbers, e.g.
    ``Sharpe 0.41 needed > buy & hold's 0.55 (short by 0.14)``.

    :param checks: the gate's checks (``name``, ``passed``, ``detail``), as the promote task returns them.
    :param evidence: the numbers compared (``challenger_sharpe``, ``challenger_max_drawdown`` (fraction),
        ``buy_and_hold_sharpe``, ``champion_sharpe`` (None: no champion), ``median_seed_sharpe``).
    :param thresholds: ``min_sharpe_margin`` and ``max_drawdown_frac`` (fraction).
    """
    margin = float(thresholds.get("min_sharpe_margin") or 0.0)
    plus = f" + margin {margin:g}" if margin else ""
    sharpe = float(evidence.get("challenger_sharpe", math.nan))
    bh = float(evidence.get("buy_and_hold_sharpe", math.nan))
    champion = evidence.get("champion_sharpe")
    needs = []
    for check in checks:
        if check.get("passed"):
            continue
        name = check.get("name")
        if name in ("beats_champion", "beats_buy_and_hold", "beats_flat"):
            label, other = {
                "beats_champion": ("the champion's", float(champion) if champion is not None else math.nan),
                "beats_buy_and_hold": ("buy & hold's", bh),
                "beats_flat": (FLAT_LABEL, 0.0),
            }[name]
            needs.append(
                f"Sharpe {_sharpe(sharpe)} needed > {label} {_sharpe(other)}{plus} ({_short_by(sharpe, other + margin)})"
            )
        elif name == "max_drawdown":
            dd = float(evidence.get("challenger_max_drawdown", math.nan))
            limit = float(thresholds.get("max_drawdown_frac", math.nan))
            over = f"{(dd - limit) * 100:.1f} points too deep" if math.isfinite(dd) else "not measurable"
            needs.append(f"max drawdown {dd:.1%} needed ≤ {limit:.1%} ({over})")
        elif name == "median_seed" and evidence.get("median_seed_sharpe") is not None:
            median = float(evidence["median_seed_sharpe"])
            bars = [bh, 0.0] + ([float(champion)] if champion is not None else [])
            bar = max(bars)
            needs.append(
                f"median seed Sharpe {_sharpe(median)} needed > {_sharpe(bar)}{plus} ({_short_by(median, bar + margin)})"
            )
        else:
            needs.append(str(check.get("detail", name)))
    return needs


def _key(symbol: str, timeframe: str) -> str:
    return f"- **{symbol} {timeframe}** "


_KEY = re.compile(r"- \*\*[^*]+\*\* ")


def promotion_line(symbol: str, timeframe: str, promoted: Mapping[str, Any], mlflow_ui_url: str) -> str:
    """One symbol's line of the run note (Markdown list item): the version (linked to the MLflow UI), the
    decision with what it would have needed or why it passed, and the test window's numbers.

    :param promoted: the promote task's result (``model_name``, ``version``, ``decision``, ``verdict``,
        ``checks``, ``evidence``, ``thresholds``, ``champion_version``).
    """
    version = str(promoted["version"])
    link = f"[v{version}]({mlflow_version_url(mlflow_ui_url, str(promoted['model_name']), version)})"
    decision = str(promoted["decision"])
    evidence: Mapping[str, Any] = promoted.get("evidence") or {}
    thresholds: Mapping[str, Any] = promoted.get("thresholds") or {}
    champion = promoted.get("champion_version")
    if decision == "promoted":
        what = "**promoted** to champion" + (f" (replaces v{champion})" if champion else " (the first)")
    elif decision == "rejected":
        what = "**rejected**, needed: " + "; ".join(shortfalls(promoted.get("checks") or [], evidence, thresholds))
    elif decision == "not applied":
        verdict = promoted.get("verdict", "")
        what = f"gate says {verdict or 'nothing'} (promote off: no alias moved)"
        if verdict == "rejected":
            what += "; needed: " + "; ".join(shortfalls(promoted.get("checks") or [], evidence, thresholds))
    else:
        what = decision
    parts = [f"{_key(symbol, timeframe)}{link}: {what}"]
    if evidence:
        window = f"{format_ms(evidence.get('window_start_ms'))[:10]} .. {format_ms(evidence.get('window_end_ms'))[:10]}"
        champion_sharpe = evidence.get("champion_sharpe")
        vs_champion = f"champion v{champion} {_sharpe(champion_sharpe)}" if champion else "no champion"
        parts.append(
            f"test {window}: Sharpe {_sharpe(evidence.get('challenger_sharpe'))} vs buy & hold "
            f"{_sharpe(evidence.get('buy_and_hold_sharpe'))}, {vs_champion}; max drawdown "
            f"{float(evidence.get('challenger_max_drawdown', math.nan)):.1%} "
            f"(limit {float(thresholds.get('max_drawdown_frac', math.nan)):.0%})"
        )
    return " · ".join(parts)


def merge_note(current: str | None, line: str) -> str:
    """``current`` with ``line``'s symbol line replaced (or added), at most :data:`NOTE_MAX_CHARS`."""
    found = _KEY.match(line)
    key = found.group(0) if found else line
    kept = [old for old in (current or "").splitlines() if old.strip() and not old.startswith(key)]
    return compose_note([*kept, line])


def compose_note(lines: Iterable[str]) -> str:
    """The note of the given symbol lines, cut to :data:`NOTE_MAX_CHARS` (with an ellipsis)."""
    text = "\n".join(lines)
    return text if len(text) <= NOTE_MAX_CHARS else text[: NOTE_MAX_CHARS - 1] + "…"


def publish_note(dag_id: str, run_id: str, line: str, conn_id: str = API_CONNECTION) -> str:
    """Put ``line`` into the run's note through Airflow's REST API; log and return what happened, in words.

    Never raises: a missing connection or an unreachable API server leaves the note alone and says so.
    """
    said = _publish(dag_id, run_id, line, conn_id)
    log.info("%s", said)
    return said


def _publish(dag_id: str, run_id: str, line: str, conn_id: str) -> str:
    try:
        from airflow.sdk import Connection

        conn = Connection.get(conn_id)
    except Exception as exc:  # AirflowNotFoundException, or no Airflow at all
        return f"run note not set: no Airflow connection {conn_id!r} ({type(exc).__name__})"
    base = _api_base(str(conn.host or ""), conn.schema, conn.port)
    try:
        token = _request(f"{base}/auth/token", "POST", {"username": conn.login, "password": conn.password}, None)[
            "access_token"
        ]
        url = f"{base}/api/v2/dags/{quote(dag_id, safe='')}/dagRuns/{quote(run_id, safe='')}"
        current = _request(url, "GET", None, token).get("note")
        _request(f"{url}?update_mask=note", "PATCH", {"note": merge_note(current, line)}, token)
    except (urllib.error.URLError, OSError, KeyError, ValueError) as exc:
        return f"run note not set: the Airflow API at {base} answered {_reason(exc)}"
    return f"run note set through the Airflow API at {base}"


def _api_base(host: str, schema: str | None, port: int | None) -> str:
    if host.startswith(("http://", "https://")):
        return host.rstrip("/")
    return f"{schema or 'http'}://{host or 'localhost'}:{port or 8080}"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"nothing ({exc.reason})"
    return f"{type(exc).__name__}: {exc}"


def _request(url: str, method: str, body: Mapping[str, Any] | None, token: str | None) -> dict[str, Any]:
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
        payload = response.read()
    return dict(json.loads(payload)) if payload else {}
