-- 0060: one status per child and month.
-- bot.growth.status decides; bot.services.status writes its answer here whenever a child's measurements or
-- facts change. /daftar, /rekap, /tindak_lanjut, exports and the dashboard read these rows, so every list
-- tells the story the child's card tells. Booleans are INTEGER 0/1, dates ISO TEXT (see 0001).
CREATE TABLE child_month_status (
    child_id          INTEGER NOT NULL REFERENCES children (id) ON DELETE CASCADE,
    month             TEXT    NOT NULL,                 -- first day of the month, YYYY-MM-01
    measurement_id    INTEGER REFERENCES measurements (id), -- the visit that counts (NULL: none is valid)
    measured_on       TEXT,
    age_days          INTEGER,
    visits            INTEGER NOT NULL DEFAULT 0,       -- current measurements in the month
    remeasure         INTEGER NOT NULL DEFAULT 0,       -- the month's latest visit is "perlu ukur ulang"
    weighed           INTEGER NOT NULL DEFAULT 0,       -- D of SKDN: the counted visit has a valid weight
    weighing          TEXT,                             -- N, T, 2T, O, B or '-' (too soon to judge)
    gain_g            INTEGER,
    bgm               INTEGER NOT NULL DEFAULT 0,
    waz               REAL,
    haz               REAL,
    whz               REAL,
    muac_cm           REAL,
    oedema            INTEGER NOT NULL DEFAULT 0,
    has_waz           INTEGER NOT NULL DEFAULT 0,       -- prevalence denominators
    has_haz           INTEGER NOT NULL DEFAULT 0,
    has_whz           INTEGER NOT NULL DEFAULT 0,
    underweight       INTEGER NOT NULL DEFAULT 0,
    stunted           INTEGER NOT NULL DEFAULT 0,
    severely_stunted  INTEGER NOT NULL DEFAULT 0,
    wasted            INTEGER NOT NULL DEFAULT 0,
    severely_wasted   INTEGER NOT NULL DEFAULT 0,
    overweight        INTEGER NOT NULL DEFAULT 0,
    reasons           TEXT    NOT NULL DEFAULT '',      -- refer reasons, most urgent first, comma-separated
    refer             INTEGER NOT NULL DEFAULT 0,
    urgent            INTEGER NOT NULL DEFAULT 0,
    rules             INTEGER NOT NULL,                 -- version of the rules that decided this row
    PRIMARY KEY (child_id, month)
);
-- Recaps and exports read one month of many children.
CREATE INDEX child_month_status_month ON child_month_status (month, child_id);

-- Children whose status must be decided again: written in the same transaction as any change of their
-- measurements or facts, cleared by the status service once it has written the new rows. `version` goes up
-- with every change, so a change made while the service was computing keeps the child on the list.
-- `facts` = 1: sex or birth date changed, so the stored z-scores must be computed again too.
CREATE TABLE status_dirty (
    child_id  INTEGER PRIMARY KEY REFERENCES children (id) ON DELETE CASCADE,
    version   INTEGER NOT NULL DEFAULT 1,
    facts     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE status_meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- Every child with measurements is decided once by the new rules.
INSERT INTO status_dirty (child_id, version, facts) SELECT DISTINCT child_id, 1, 0 FROM measurements;
