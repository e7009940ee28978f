"""SQLite FTS5 statements shared by the migration and the bulk loader."""

FTS_INSERT_TRIGGER = (
    "CREATE TRIGGER contacts_fts_ai AFTER INSERT ON contacts BEGIN "
    "INSERT INTO contacts_fts(rowid, search_doc) VALUES (new.id, new.search_doc); END"
)

# The words of plan descriptions and setup fee texts (plan list filters "description" and
# "setup_fee_text": every given word). unicode61 folds case; diacritics are kept, as
# PostgreSQL's 'simple' configuration keeps them.
PLANS_FTS_INSERT_TRIGGER = (
    "CREATE TRIGGER plans_fts_ai AFTER INSERT ON plans BEGIN "
    "INSERT INTO plans_fts(rowid, description, setup_fee_text) "
    "VALUES (new.id, new.description, new.setup_fee_text); END"
)
PLANS_FTS_SQLITE = [
    "CREATE VIRTUAL TABLE plans_fts USING fts5(description, setup_fee_text, "
    "tokenize='unicode61 remove_diacritics 0', content='plans', content_rowid='id', "
    "detail='column')",
    PLANS_FTS_INSERT_TRIGGER,
    "CREATE TRIGGER plans_fts_ad AFTER DELETE ON plans BEGIN "
    "INSERT INTO plans_fts(plans_fts, rowid, description, setup_fee_text) "
    "VALUES ('delete', old.id, old.description, old.setup_fee_text); END",
    "CREATE TRIGGER plans_fts_au AFTER UPDATE OF description, setup_fee_text ON plans BEGIN "
    "INSERT INTO plans_fts(plans_fts, rowid, description, setup_fee_text) "
    "VALUES ('delete', old.id, old.description, old.setup_fee_text); "
    "INSERT INTO plans_fts(rowid, description, setup_fee_text) "
    "VALUES (new.id, new.description, new.setup_fee_text); END",
]
# Name fragments of three or more characters (plan list filter "name"): trigrams.
PLANS_NAME_FTS_INSERT_TRIGGER = (
    "CREATE TRIGGER plans_name_fts_ai AFTER INSERT ON plans BEGIN "
    "INSERT INTO plans_name_fts(rowid, name) VALUES (new.id, new.name); END"
)
PLANS_FTS_SQLITE += [
    "CREATE VIRTUAL TABLE plans_name_fts USING fts5(name, tokenize='trigram', "
    "content='plans', content_rowid='id')",
    PLANS_NAME_FTS_INSERT_TRIGGER,
    "CREATE TRIGGER plans_name_fts_ad AFTER DELETE ON plans BEGIN "
    "INSERT INTO plans_name_fts(plans_name_fts, rowid, name) "
    "VALUES ('delete', old.id, old.name); END",
    "CREATE TRIGGER plans_name_fts_au AFTER UPDATE OF name ON plans BEGIN "
    "INSERT INTO plans_name_fts(plans_name_fts, rowid, name) "
    "VALUES ('delete', old.id, old.name); "
    "INSERT INTO plans_name_fts(rowid, name) VALUES (new.id, new.name); END",
]
PLANS_FTS_DROP = [
    "DROP TRIGGER IF EXISTS plans_name_fts_ai",
    "DROP TRIGGER IF EXISTS plans_name_fts_ad",
    "DROP TRIGGER IF EXISTS plans_name_fts_au",
    "DROP TABLE IF EXISTS plans_name_fts",
    "DROP TRIGGER IF EXISTS plans_fts_ai",
    "DROP TRIGGER IF EXISTS plans_fts_ad",
    "DROP TRIGGER IF EXISTS plans_fts_au",
    "DROP TABLE IF EXISTS plans_fts",
]

# Migration 0004 (h3): the same two indexes, over columns Kontor folds and tokenises in
# Python (core.limits.fold / search_words), so SQLite and PostgreSQL mean the same:
# `plans_fts` holds the words (space-separated already, so the `ascii` tokenizer, which keeps
# every non-ASCII character inside a word, splits exactly there), `plans_name_fts` the folded
# name's trigrams, case-sensitive because the column is folded already.
PLANS_WORDS_INSERT_TRIGGER = (
    "CREATE TRIGGER plans_fts_ai AFTER INSERT ON plans BEGIN "
    "INSERT INTO plans_fts(rowid, description_words, setup_fee_words) "
    "VALUES (new.id, new.description_words, new.setup_fee_words); END"
)
PLANS_FOLD_INSERT_TRIGGER = (
    "CREATE TRIGGER plans_name_fts_ai AFTER INSERT ON plans BEGIN "
    "INSERT INTO plans_name_fts(rowid, name_fold) VALUES (new.id, new.name_fold); END"
)
PLANS_SEARCH_FTS_SQLITE = [
    "CREATE VIRTUAL TABLE plans_fts USING fts5(description_words, setup_fee_words, "
    "tokenize='ascii', content='plans', content_rowid='id', detail='column')",
    PLANS_WORDS_INSERT_TRIGGER,
    "CREATE TRIGGER plans_fts_ad AFTER DELETE ON plans BEGIN "
    "INSERT INTO plans_fts(plans_fts, rowid, description_words, setup_fee_words) "
    "VALUES ('delete', old.id, old.description_words, old.setup_fee_words); END",
    "CREATE TRIGGER plans_fts_au AFTER UPDATE OF description_words, setup_fee_words ON plans "
    "BEGIN "
    "INSERT INTO plans_fts(plans_fts, rowid, description_words, setup_fee_words) "
    "VALUES ('delete', old.id, old.description_words, old.setup_fee_words); "
    "INSERT INTO plans_fts(rowid, description_words, setup_fee_words) "
    "VALUES (new.id, new.description_words, new.setup_fee_words); END",
    "CREATE VIRTUAL TABLE plans_name_fts USING fts5(name_fold, "
    "tokenize='trigram case_sensitive 1', content='plans', content_rowid='id')",
    PLANS_FOLD_INSERT_TRIGGER,
    "CREATE TRIGGER plans_name_fts_ad AFTER DELETE ON plans BEGIN "
    "INSERT INTO plans_name_fts(plans_name_fts, rowid, name_fold) "
    "VALUES ('delete', old.id, old.name_fold); END",
    "CREATE TRIGGER plans_name_fts_au AFTER UPDATE OF name_fold ON plans BEGIN "
    "INSERT INTO plans_name_fts(plans_name_fts, rowid, name_fold) "
    "VALUES ('delete', old.id, old.name_fold); "
    "INSERT INTO plans_name_fts(rowid, name_fold) VALUES (new.id, new.name_fold); END",
]
