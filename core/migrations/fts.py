"""SQLite FTS5 statements shared by the migration and the bulk loader."""

FTS_INSERT_TRIGGER = (
    "CREATE TRIGGER contacts_fts_ai AFTER INSERT ON contacts BEGIN "
    "INSERT INTO contacts_fts(rowid, search_doc) VALUES (new.id, new.search_doc); END"
)
