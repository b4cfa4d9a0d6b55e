"""Photo and evidence-document ingest: verification, derived images and storage."""
