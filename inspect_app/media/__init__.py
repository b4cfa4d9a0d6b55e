"""Photos and evidence documents: ingest, storage, and access-checked serving."""
from flask import Blueprint

bp = Blueprint("media", __name__, url_prefix="/media")
