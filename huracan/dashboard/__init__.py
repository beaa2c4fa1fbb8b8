"""The Airflow UI dashboard's pages: what is read for them (:mod:`.reads`), the charts drawn on the server
(:mod:`.charts`) and the HTML (:mod:`.pages`); :mod:`.app` serves them as a FastAPI app that
``plugins/huracan_dashboard.py`` mounts in Airflow's API server behind its login."""
