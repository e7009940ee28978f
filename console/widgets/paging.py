"""The windowed table's page size, in a module of its own: the CLI asks the start-up preview
(core/first_window.py) for one page before it imports Textual."""

PAGE = 100  # rows fetched at a time
MAX_PAGES = 40  # pages kept in memory
