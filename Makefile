# 医共体核查整改 — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

.PHONY: run test test-pg bench setup assets db clean

$(BIN)/activate: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/activate

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch node_modules/.package-lock.json

static/vendor/htmx.min.js: node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js

# Photo EXIF in the browser (static/js/photo-prepare.js): piexifjs reads and writes a whole block,
# exifr's full build (PNG and TIFF parsers included) reads the blocks piexifjs refuses.
static/vendor/piexif.js: node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/piexifjs/piexif.js static/vendor/piexif.js

static/vendor/exifr.umd.js: node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/exifr/dist/full.umd.js static/vendor/exifr.umd.js

# The service worker's Workbox modules (production builds, loaded by workbox-sw from our own
# origin, never its CDN) and idb's UMD build for the offline queue.
WORKBOX_MODULES := core routing strategies
static/vendor/workbox/workbox-sw.js: node_modules/.package-lock.json
	mkdir -p static/vendor/workbox
	cp node_modules/workbox-sw/build/workbox-sw.js static/vendor/workbox/workbox-sw.js
	for m in $(WORKBOX_MODULES); do cp node_modules/workbox-$$m/build/workbox-$$m.prod.js static/vendor/workbox/; done

static/vendor/idb.umd.js: node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/idb/build/umd.js static/vendor/idb.umd.js

assets: static/vendor/htmx.min.js static/vendor/piexif.js static/vendor/exifr.umd.js \
        static/vendor/workbox/workbox-sw.js static/vendor/idb.umd.js

setup: $(BIN)/activate assets

db: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo

run: db
	@echo "医共体核查整改 → http://127.0.0.1:5000"
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: setup
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-pg: setup
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} $(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/photo_ingest.py
	$(BIN)/python bench/dashboard.py --national
	$(BIN)/python bench/monthly_report.py --national
	$(BIN)/python bench/visit_queries.py
	$(BIN)/python bench/media_sweep.py
	$(BIN)/python bench/audit_chain.py
	$(BIN)/python bench/offline_soak.py
	$(BIN)/python bench/file_safety.py
	$(BIN)/python bench/jobs.py
	$(BIN)/python bench/lists.py
	$(BIN)/python bench/mixed_load.py    # skips with a message without /usr/sbin/nginx

clean:
	rm -rf $(VENV) node_modules static/vendor
