-- 0001: initial schema of Posyandu Bot.
-- Portable SQL: dates are ISO-8601 TEXT (YYYY-MM-DD), timestamps ISO-8601 UTC TEXT, booleans INTEGER 0/1.
-- A PostgreSQL variant of this file would swap INTEGER PRIMARY KEY for BIGINT GENERATED ... AS IDENTITY,
-- TEXT dates for DATE/TIMESTAMPTZ and INTEGER flags for BOOLEAN; the queries stay the same.
-- Telegram user ids are the primary key of `users` and are what every *_user_id / *_by column holds.

CREATE TABLE areas (
    id          INTEGER PRIMARY KEY,
    level       TEXT    NOT NULL CHECK (level IN ('city', 'kecamatan', 'kelurahan')),
    name        TEXT    NOT NULL,
    name_key    TEXT    NOT NULL,                -- lower case, single spaces: for matching
    parent_id   INTEGER REFERENCES areas (id),
    created_at  TEXT    NOT NULL,
    CHECK ((level = 'city') = (parent_id IS NULL))
);
CREATE UNIQUE INDEX areas_child_name ON areas (parent_id, level, name_key) WHERE parent_id IS NOT NULL;
CREATE UNIQUE INDEX areas_top_name ON areas (level, name_key) WHERE parent_id IS NULL;
CREATE INDEX areas_parent ON areas (parent_id);
CREATE INDEX areas_name_key ON areas (name_key);

CREATE TABLE posyandu (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL,
    name_key       TEXT    NOT NULL,
    area_id        INTEGER NOT NULL REFERENCES areas (id),   -- a kelurahan/desa
    address        TEXT,
    timezone       TEXT    NOT NULL DEFAULT 'Asia/Jakarta',
    schedule_rule  TEXT,                                     -- format owned by the reminders service
    active         INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT    NOT NULL,
    UNIQUE (area_id, name_key)
);
CREATE INDEX posyandu_name_key ON posyandu (name_key);

CREATE TABLE users (
    telegram_id   INTEGER PRIMARY KEY,
    display_name  TEXT    NOT NULL DEFAULT '',
    language      TEXT    NOT NULL DEFAULT 'id',
    role          TEXT    CHECK (role IN ('admin', 'coordinator', 'cadre', 'parent')),
    area_id       INTEGER REFERENCES areas (id),
    posyandu_id   INTEGER REFERENCES posyandu (id),
    active        INTEGER NOT NULL DEFAULT 1,
    opted_out     INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL,
    last_seen_at  TEXT,
    CHECK (area_id IS NULL OR posyandu_id IS NULL)
);
CREATE INDEX users_area ON users (area_id);
CREATE INDEX users_posyandu ON users (posyandu_id);

CREATE TABLE children (
    id               INTEGER PRIMARY KEY,
    code             TEXT    NOT NULL UNIQUE,
    name             TEXT    NOT NULL,
    name_key         TEXT    NOT NULL,           -- lower case, no spaces: substring search
    sex              TEXT    NOT NULL CHECK (sex IN ('M', 'F')),
    birth_date       TEXT    NOT NULL,
    nik              TEXT    UNIQUE CHECK (nik IS NULL OR length(nik) = 16),
    guardian_name    TEXT,
    guardian_phone   TEXT,
    posyandu_id      INTEGER NOT NULL REFERENCES posyandu (id),
    address          TEXT,
    rt               TEXT,
    rw               TEXT,
    birth_weight_kg  REAL,
    birth_length_cm  REAL,
    status           TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'moved', 'deceased')),
    created_by       INTEGER,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
);
CREATE INDEX children_posyandu ON children (posyandu_id, status, name_key);
CREATE INDEX children_match ON children (posyandu_id, birth_date, name_key);
CREATE INDEX children_phone ON children (guardian_phone);

-- Sequence for short child codes (A1, A2, ... B10 ...): one row per sequence name.
CREATE TABLE sequences (
    name   TEXT    PRIMARY KEY,
    value  INTEGER NOT NULL
);
INSERT INTO sequences (name, value) VALUES ('child_code', 0);

CREATE TABLE guardians (
    child_id    INTEGER NOT NULL REFERENCES children (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (telegram_id) ON DELETE CASCADE,
    relation    TEXT,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (child_id, user_id)
);
CREATE INDEX guardians_user ON guardians (user_id);

CREATE TABLE invites (
    code         TEXT    PRIMARY KEY,
    role         TEXT    NOT NULL CHECK (role IN ('admin', 'coordinator', 'cadre', 'parent')),
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

CREATE TABLE measurements (
    id             INTEGER PRIMARY KEY,
    child_id       INTEGER NOT NULL REFERENCES children (id) ON DELETE CASCADE,
    measured_on    TEXT    NOT NULL,
    age_days       INTEGER NOT NULL,
    weight_kg      REAL,
    length_cm      REAL,
    position       TEXT    CHECK (position IN ('lying', 'standing')),
    oedema         INTEGER NOT NULL DEFAULT 0,
    head_cm        REAL,
    muac_cm        REAL,
    entered_by     INTEGER,
    waz            REAL,
    haz            REAL,
    whz            REAL,
    bmiz           REAL,
    hcz            REAL,
    muacz          REAL,
    flags          TEXT    NOT NULL DEFAULT '[]',    -- JSON list of flag keys
    implausible    INTEGER NOT NULL DEFAULT 0,
    cat_waz        TEXT,
    cat_haz        TEXT,
    cat_whz        TEXT,
    cat_bmiz       TEXT,
    cat_hcz        TEXT,
    cat_muacz      TEXT,
    faltering      TEXT    CHECK (faltering IN ('N', 'T', 'O', 'B', '2T')),
    bgm            INTEGER NOT NULL DEFAULT 0,
    note           TEXT,
    supersedes_id  INTEGER REFERENCES measurements (id),
    superseded_by  INTEGER REFERENCES measurements (id),
    created_at     TEXT    NOT NULL
);
-- "Current" rows (not superseded) by child and date: history, latest, previous weighing, recaps.
CREATE INDEX measurements_current ON measurements (child_id, measured_on) WHERE superseded_by IS NULL;
-- Monthly recaps and exports scan one month of current rows.
CREATE INDEX measurements_month ON measurements (measured_on, child_id) WHERE superseded_by IS NULL;
CREATE INDEX measurements_entered_by ON measurements (entered_by, created_at);

CREATE TABLE posyandu_sessions (
    id           INTEGER PRIMARY KEY,
    posyandu_id  INTEGER NOT NULL REFERENCES posyandu (id) ON DELETE CASCADE,
    session_date TEXT    NOT NULL,
    start_time   TEXT,
    end_time     TEXT,
    status       TEXT    NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'moved', 'cancelled')),
    moved_to     TEXT,
    note         TEXT,
    created_at   TEXT    NOT NULL,
    UNIQUE (posyandu_id, session_date)
);
CREATE INDEX posyandu_sessions_date ON posyandu_sessions (session_date);

CREATE TABLE reminders_sent (
    id               INTEGER PRIMARY KEY,
    idempotency_key  TEXT    NOT NULL UNIQUE,
    recipient_id     INTEGER NOT NULL,
    kind             TEXT    NOT NULL,
    sent_at          TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped'))
);
CREATE INDEX reminders_sent_recipient ON reminders_sent (recipient_id, kind);

CREATE TABLE tips_sent (
    id       INTEGER PRIMARY KEY,
    user_id  INTEGER NOT NULL,
    tip_id   TEXT    NOT NULL,
    sent_at  TEXT    NOT NULL
);
CREATE INDEX tips_sent_user ON tips_sent (user_id, tip_id);

CREATE TABLE broadcasts (
    id                 INTEGER PRIMARY KEY,
    author_id          INTEGER NOT NULL,
    text               TEXT    NOT NULL DEFAULT '',
    media_file_id      TEXT,
    media_type         TEXT,
    audience           TEXT    NOT NULL,
    scope_area_id      INTEGER REFERENCES areas (id),
    scope_posyandu_id  INTEGER REFERENCES posyandu (id),
    created_at         TEXT    NOT NULL,
    status             TEXT    NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'sending', 'done', 'cancelled'))
);
CREATE INDEX broadcasts_status ON broadcasts (status);

CREATE TABLE broadcast_deliveries (
    id            INTEGER PRIMARY KEY,
    broadcast_id  INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    recipient_id  INTEGER NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'blocked', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    error         TEXT,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    sent_at       TEXT,
    UNIQUE (broadcast_id, recipient_id)
);
CREATE INDEX broadcast_deliveries_status ON broadcast_deliveries (broadcast_id, status);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    actor_id    INTEGER,
    action      TEXT    NOT NULL,
    entity      TEXT    NOT NULL,
    entity_id   TEXT,
    details     TEXT    NOT NULL DEFAULT '{}',   -- JSON, ids and field names only: no personal data
    created_at  TEXT    NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

-- python-telegram-bot persistence (JSON documents).
CREATE TABLE ptb_user_data (
    user_id  INTEGER PRIMARY KEY,
    data     TEXT    NOT NULL
);
CREATE TABLE ptb_chat_data (
    chat_id  INTEGER PRIMARY KEY,
    data     TEXT    NOT NULL
);
CREATE TABLE ptb_documents (
    name  TEXT PRIMARY KEY,                      -- 'bot_data', 'callback_data'
    data  TEXT NOT NULL
);
CREATE TABLE ptb_conversations (
    name   TEXT NOT NULL,
    key    TEXT NOT NULL,                        -- JSON list: the conversation key tuple
    state  TEXT NOT NULL,                        -- JSON value
    PRIMARY KEY (name, key)
);
