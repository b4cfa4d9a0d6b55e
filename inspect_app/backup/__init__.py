"""Backups: a consistent snapshot of the database and the upload store with a manifest of SHA-256s,
its restore, and the proof that what was restored is byte-identical (`flask backup`, `flask restore`)."""
