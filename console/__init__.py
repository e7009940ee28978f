"""Kontor console: the Textual app and the `kontor` command line. Never touches SQLAlchemy."""
