# Image for the Airflow services and the MLflow server in docker-compose.yaml: Airflow 3.3.2 on Python 3.11
# plus Huracan and its locked dependencies (constraints.txt), torch as a CPU build.
#
# torch is locked as the CPU build 2.13.0+cpu, which PyPI does not carry: pass the package index that has
# CPU builds of torch with --build-arg TORCH_INDEX_URL=... (docker-compose.yaml passes TORCH_INDEX_URL
# from .env; see the README). The index is used in the build stage only: the runtime stage copies the
# installed packages and has neither the argument nor any pip index setting.

FROM apache/airflow:3.3.2-python3.11 AS build
ARG TORCH_INDEX_URL
# Dependencies first, from the lock alone: a change to Huracan's code does not reinstall torch.
COPY --chown=airflow:root requirements.txt constraints.txt /opt/huracan/
RUN test -n "${TORCH_INDEX_URL}" || { echo "build arg TORCH_INDEX_URL is not set (see the README)"; exit 1; } \
 && pip install --no-cache-dir --extra-index-url "${TORCH_INDEX_URL}" \
    -r /opt/huracan/requirements.txt -c /opt/huracan/constraints.txt
COPY --chown=airflow:root pyproject.toml README.md /opt/huracan/
COPY --chown=airflow:root expectations /opt/huracan/expectations
COPY --chown=airflow:root huracan /opt/huracan/huracan
RUN pip install --no-cache-dir --no-deps /opt/huracan && pip check

FROM apache/airflow:3.3.2-python3.11
COPY --from=build --chown=airflow:root /home/airflow/.local /home/airflow/.local
