#!/usr/bin/env bash
# Two gunicorn instances behind Debian's nginx on loopback ports, from a config generated in a temp dir
# (tests/deploy/cluster.py; no system config touched). Uses this shell's environment: DATABASE_URL,
# SECRET_KEY, STORAGE_BACKEND=s3 with S3_* (a shared store; with the default file store each instance
# would have its own disk). Prints nginx's address; Ctrl-C stops everything.
#   DATABASE_URL=postgresql://… SECRET_KEY=… STORAGE_BACKEND=s3 S3_ENDPOINT_URL=… S3_BUCKET=… \
#   deploy/two_instances.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export APP_ENV="${APP_ENV:-production}" SESSION_COOKIE_SECURE="${SESSION_COOKIE_SECURE:-0}" HSTS_SECONDS="${HSTS_SECONDS:-0}"
exec .venv/bin/python -m tests.deploy.cluster
