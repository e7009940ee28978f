"""`kontor`: the command line. `main` opens the console or runs a `kontor <noun> <verb>`.

One module per noun (contacts, plans, billing and subscriptions, settings, admin); every
command follows console/cli/contract.py (exit status, --format, --at, JSON shape)."""

from console.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
