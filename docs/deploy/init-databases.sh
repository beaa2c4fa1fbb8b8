#!/usr/bin/env bash
# Run once by the postgres container on its first start (empty data volume): the databases of the Huracan
# store and of MLflow, each owned by its own user, with the passwords docker-compose.yaml passes from .env.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v huracan_password="$HURACAN_DB_PASSWORD" -v mlflow_password="$MLFLOW_DB_PASSWORD" <<'SQL'
CREATE USER huracan WITH PASSWORD :'huracan_password';
CREATE DATABASE huracan OWNER huracan;
CREATE USER mlflow WITH PASSWORD :'mlflow_password';
CREATE DATABASE mlflow OWNER mlflow;
SQL
