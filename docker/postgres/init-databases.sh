#!/bin/sh
# First start of the PostgreSQL volume only (docker-entrypoint-initdb.d): one role and one database each for the
# FHIR server and Keycloak. Passwords come from the environment (docker/.env, written by docker/setup.sh).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v fhir_pw="$FHIR_DB_PASSWORD" -v kc_pw="$KEYCLOAK_DB_PASSWORD" <<'SQL'
CREATE ROLE fhir LOGIN PASSWORD :'fhir_pw';
CREATE DATABASE fhir OWNER fhir;
CREATE ROLE keycloak LOGIN PASSWORD :'kc_pw';
CREATE DATABASE keycloak OWNER keycloak;
SQL
