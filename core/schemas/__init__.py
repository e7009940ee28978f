"""Pydantic v2 inputs and outputs of the services."""
