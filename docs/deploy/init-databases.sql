-- Run once by the postgres container on first start: databases for the Huracan store and MLflow.
CREATE USER huracan WITH PASSWORD 'huracan';
CREATE DATABASE huracan OWNER huracan;
CREATE USER mlflow WITH PASSWORD 'mlflow';
CREATE DATABASE mlflow OWNER mlflow;
