"""Kontor core: models, schemas, billing rules and services. Never imports Textual."""

__version__ = "0.1.0"
