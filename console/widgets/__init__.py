"""Reusable widgets: the windowed table, form fields, confirmation dialog."""
