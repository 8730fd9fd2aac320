-- migrate: foreign_keys off
-- 0062: roles for the field's programs: health workers (bidan, puskesmas staff: outcomes of follow-up cases),
-- TPK members (Tim Pendamping Keluarga: families before and around birth) and sponsors (orang tua asuh: their
-- program's anonymised children). SQLite cannot change a CHECK constraint in place, so users and invites are
-- rebuilt (SQLite's documented procedure, with foreign keys off for this migration only: the runner turns them
-- back on and checks every reference afterwards).
CREATE TABLE users_new (
    telegram_id   INTEGER PRIMARY KEY,
    display_name  TEXT    NOT NULL DEFAULT '',
    language      TEXT    NOT NULL DEFAULT 'id',
    role          TEXT    CHECK (role IN ('admin', 'coordinator', 'cadre', 'parent', 'health_worker', 'tpk',
                                          'sponsor')),
    area_id       INTEGER REFERENCES areas (id),
    posyandu_id   INTEGER REFERENCES posyandu (id),
    active        INTEGER NOT NULL DEFAULT 1,
    opted_out     INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL,
    last_seen_at  TEXT,
    blocked_at    TEXT,
    CHECK (area_id IS NULL OR posyandu_id IS NULL)
);
INSERT INTO users_new (telegram_id, display_name, language, role, area_id, posyandu_id, active, opted_out,
                       created_at, last_seen_at, blocked_at)
    SELECT telegram_id, display_name, language, role, area_id, posyandu_id, active, opted_out, created_at,
           last_seen_at, blocked_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_area ON users (area_id);
CREATE INDEX users_posyandu ON users (posyandu_id);

CREATE TABLE invites_new (
    code         TEXT    PRIMARY KEY,
    role         TEXT    NOT NULL CHECK (role IN ('admin', 'coordinator', 'cadre', 'parent', 'health_worker', 'tpk',
                                                  'sponsor')),
    area_id      INTEGER REFERENCES areas (id),
    posyandu_id  INTEGER REFERENCES posyandu (id),
    child_id     INTEGER REFERENCES children (id) ON DELETE CASCADE,
    created_by   INTEGER,
    created_at   TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL,
    single_use   INTEGER NOT NULL DEFAULT 1,
    use_count    INTEGER NOT NULL DEFAULT 0,
    used_by      INTEGER,
    used_at      TEXT
);
INSERT INTO invites_new SELECT code, role, area_id, posyandu_id, child_id, created_by, created_at, expires_at,
                               single_use, use_count, used_by, used_at FROM invites;
DROP TABLE invites;
ALTER TABLE invites_new RENAME TO invites;
