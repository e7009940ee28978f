"""Kontor's .tcss style sheets (theme variables only, so 16 colours and NO_COLOR work)."""
