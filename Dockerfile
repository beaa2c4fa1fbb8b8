# Image for the Airflow services in docker-compose.yaml: Airflow 3.3.2 on Python 3.11 plus Huracan.
# torch must be a CPU build of 2.13.0; pass your package index for it with --build-arg PIP_EXTRA_INDEX_URL=...
FROM apache/airflow:3.3.2-python3.11
ARG PIP_EXTRA_INDEX_URL=""
ENV PIP_EXTRA_INDEX_URL=${PIP_EXTRA_INDEX_URL}
COPY --chown=airflow:root requirements.txt constraints.txt pyproject.toml README.md /opt/huracan/
COPY --chown=airflow:root huracan /opt/huracan/huracan
COPY --chown=airflow:root expectations /opt/huracan/expectations
RUN pip install --no-cache-dir -r /opt/huracan/requirements.txt -c /opt/huracan/constraints.txt \
 && pip install --no-cache-dir --no-deps /opt/huracan
