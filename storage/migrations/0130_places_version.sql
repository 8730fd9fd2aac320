-- 0130: a counter of changes to areas and posyandu, moved in the same transaction as each change
-- (storage/repositories/places.py). Every coordinator command needs the area tree; loading it took 0,26 s for
-- 10,000 posyandu on PostgreSQL (a province has ~30,000): a process keeps the tree while the counter (and the
-- largest ids, for rows written by hand) are unchanged, and every worker sees another worker's change at its
-- next command.
CREATE TABLE places_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  INTEGER NOT NULL
);
INSERT INTO places_version (id, version) VALUES (1, 0);
