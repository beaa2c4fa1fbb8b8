"""Airflow UI plugin: the Huracan dashboard (``huracan.dashboard``) mounted in the API server at
``/huracan``, behind Airflow's login, with a "Huracan" entry in the UI's navigation."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from huracan.dashboard.app import create_app

URL_PREFIX = "/huracan"


class HuracanDashboardPlugin(AirflowPlugin):
    name = "huracan_dashboard"
    fastapi_apps = [  # noqa: RUF012 (AirflowPlugin declares these lists as class attributes)
        {"app": create_app(), "url_prefix": URL_PREFIX, "name": "Huracan dashboard"}
    ]
    external_views = [  # noqa: RUF012
        {
            "name": "Huracan",
            "href": f"{URL_PREFIX}/",
            "destination": "nav",
            "url_route": "huracan",
        }
    ]
