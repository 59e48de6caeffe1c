-- Full-text search for the register (issue 5). Backend-specific: the lines after `-- @sqlite`
-- run on SQLite only, those after `-- @postgres` on PostgreSQL only (see dialect.rs).
--
-- The index is a pre-filter: `Filter.text` is still confirmed with LIKE on `search_text`, so a
-- row only matches when every word/phrase occurs in it literally. The index makes words match
-- from a word start (the last word of a term as a prefix): "print" finds "printer", "rinter" no
-- longer does.

-- @sqlite
-- External-content FTS5 table over incidents.search_text, keyed by the incidents rowid and kept
-- in step by triggers (so in the same transaction as the row). If rowids ever change (a VACUUM
-- of a table without INTEGER PRIMARY KEY may renumber them), rebuild with
--   INSERT INTO incidents_fts(incidents_fts) VALUES ('rebuild');
CREATE VIRTUAL TABLE incidents_fts USING fts5(
    search_text,
    content = 'incidents',
    content_rowid = 'rowid',
    tokenize = 'unicode61'
);
CREATE TRIGGER incidents_fts_ai AFTER INSERT ON incidents BEGIN
    INSERT INTO incidents_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
CREATE TRIGGER incidents_fts_ad AFTER DELETE ON incidents BEGIN
    INSERT INTO incidents_fts (incidents_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
END;
CREATE TRIGGER incidents_fts_au AFTER UPDATE OF search_text ON incidents
WHEN old.search_text IS NOT new.search_text BEGIN
    INSERT INTO incidents_fts (incidents_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
    INSERT INTO incidents_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
INSERT INTO incidents_fts (incidents_fts) VALUES ('rebuild');

-- @postgres
-- A generated tsvector ('simple': no stemming, no stop words) with a GIN index. Runs of
-- non-alphanumerics become spaces first, so the words are the same as SQLite's (and as the query
-- builder's in fts.rs): "2026-0007" is the words 2026 and 0007, an e-mail address is its parts.
ALTER TABLE incidents ADD COLUMN search_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, regexp_replace(search_text, '[^[:alnum:]]+', ' ', 'g'))) STORED;
CREATE INDEX incidents_search_tsv ON incidents USING GIN (search_tsv);

-- @all
-- The register filtered by assignee, newest first, without sorting all of a person's incidents.
CREATE INDEX incidents_assignee_reported ON incidents(assignee_id, reported_at);
