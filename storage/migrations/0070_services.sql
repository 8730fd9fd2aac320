-- 0070: services given to a child at the posyandu, and the intervention programs that give some of them
-- (issue 14). Portable SQL as in 0001: dates ISO TEXT, booleans INTEGER 0/1; partial unique indexes exist in
-- PostgreSQL too.

-- An intervention program (PMT for stunted children, a sponsor's "orang tua asuh" program): one area (a
-- kelurahan/desa or larger) or one posyandu, a period, and the criteria that propose children (any of them,
-- read from the stored monthly status, never decided again here).
CREATE TABLE programs (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    sponsor       TEXT    NOT NULL DEFAULT '',
    area_id       INTEGER REFERENCES areas (id),
    posyandu_id   INTEGER REFERENCES posyandu (id),
    kind          TEXT    NOT NULL CHECK (kind IN ('pmt_lokal', 'pmt_pabrikan', 'other')),
    starts_on     TEXT    NOT NULL,
    ends_on       TEXT    NOT NULL,
    criteria      TEXT    NOT NULL DEFAULT '',          -- comma-separated criteria keys: stunted, 2t, ...
    min_months    INTEGER NOT NULL DEFAULT 6,
    max_months    INTEGER NOT NULL DEFAULT 59,
    unit          TEXT    NOT NULL DEFAULT 'days' CHECK (unit IN ('days', 'packages')),
    per_delivery  INTEGER NOT NULL DEFAULT 7,           -- the usual size of one delivery (days or packages)
    created_by    INTEGER,
    created_at    TEXT    NOT NULL,
    CHECK ((area_id IS NULL) <> (posyandu_id IS NULL)),
    CHECK (starts_on <= ends_on),
    CHECK (min_months <= max_months)
);
CREATE INDEX programs_area ON programs (area_id);
CREATE INDEX programs_posyandu ON programs (posyandu_id);

CREATE TABLE program_children (
    program_id   INTEGER NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    child_id     INTEGER NOT NULL REFERENCES children (id) ON DELETE CASCADE,
    enrolled_on  TEXT    NOT NULL,
    enrolled_by  INTEGER,
    left_on      TEXT,                                  -- NULL: still enrolled
    PRIMARY KEY (program_id, child_id)
);
CREATE INDEX program_children_child ON program_children (child_id);

-- Sponsor members (users with role 'sponsor') and the programs they belong to.
CREATE TABLE program_members (
    program_id  INTEGER NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (telegram_id) ON DELETE CASCADE,
    joined_at   TEXT    NOT NULL,
    PRIMARY KEY (program_id, user_id)
);
CREATE INDEX program_members_user ON program_members (user_id);

-- A sponsor invite (invites.role = 'sponsor') names the program its member joins.
CREATE TABLE program_invites (
    code        TEXT    PRIMARY KEY REFERENCES invites (code) ON DELETE CASCADE,
    program_id  INTEGER NOT NULL REFERENCES programs (id) ON DELETE CASCADE
);

-- Every service given: immunisation doses (code = the dose of bot.growth.immunisation.SCHEDULE), vitamin A
-- (code = capsule colour), deworming (code = half / whole tablet), PMT (code = lokal / pabrikan, with the
-- program, days or packages) and other program support (code = 'aid'). A correction never overwrites: the new
-- row supersedes the old (history kept); a record removed as a mistake is superseded by a row with removed = 1.
CREATE TABLE child_services (
    id             INTEGER PRIMARY KEY,
    child_id       INTEGER NOT NULL REFERENCES children (id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL CHECK (kind IN ('immunisation', 'vitamin_a', 'deworming', 'pmt', 'aid')),
    code           TEXT    NOT NULL,
    given_on       TEXT    NOT NULL,
    given_by       INTEGER,                             -- Telegram id of who recorded it (NULL: an import)
    program_id     INTEGER REFERENCES programs (id),
    quantity       INTEGER,                             -- PMT and aid: days or packages
    unit           TEXT    CHECK (unit IS NULL OR unit IN ('days', 'packages')),
    override       TEXT,                                -- the guideline exception used, when a rule was waived
    source         TEXT    NOT NULL DEFAULT 'chat' CHECK (source IN ('chat', 'quick', 'import')),
    removed        INTEGER NOT NULL DEFAULT 0,
    supersedes_id  INTEGER REFERENCES child_services (id),
    superseded_by  INTEGER REFERENCES child_services (id),
    created_at     TEXT    NOT NULL
);
CREATE INDEX child_services_current ON child_services (child_id, kind, given_on) WHERE superseded_by IS NULL;
CREATE INDEX child_services_day ON child_services (given_on, kind) WHERE superseded_by IS NULL AND removed = 0;
CREATE INDEX child_services_program ON child_services (program_id, given_on) WHERE program_id IS NOT NULL;
-- One current record per immunisation dose: a double tap or two cadres cannot record MR 1 twice.
CREATE UNIQUE INDEX child_services_one_dose ON child_services (child_id, code)
    WHERE kind = 'immunisation' AND superseded_by IS NULL AND removed = 0;
-- Vitamin A and deworming: at most one current record per child and day.
CREATE UNIQUE INDEX child_services_one_a_day ON child_services (child_id, kind, given_on)
    WHERE kind IN ('vitamin_a', 'deworming') AND superseded_by IS NULL AND removed = 0;

-- The deworming months of a year (Juknis ILP 2023: at least once a year, in August; POPM twice a year in
-- districts of high prevalence, Permenkes 15/2017): a row per year for everyone (area_id NULL) or for one
-- area (a city/regency sets its own). A year without a row uses August.
CREATE TABLE deworming_rounds (
    id          INTEGER PRIMARY KEY,
    year        INTEGER NOT NULL,
    area_id     INTEGER REFERENCES areas (id),
    months      TEXT    NOT NULL,                       -- comma-separated month numbers, e.g. '2,8'
    changed_by  INTEGER,
    changed_at  TEXT    NOT NULL
);
CREATE UNIQUE INDEX deworming_rounds_all ON deworming_rounds (year) WHERE area_id IS NULL;
CREATE UNIQUE INDEX deworming_rounds_area ON deworming_rounds (year, area_id) WHERE area_id IS NOT NULL;
