-- 0090: follow-up cases (issue 16) and the families the TPK accompany.
-- A case is about a child or a woman; at most one open case per child and per woman (partial unique indexes,
-- PostgreSQL has them too). Reasons are stored comma-separated like child_month_status.reasons. Times are UTC
-- ISO text, dates ISO text; personal fields (a woman's name) never go to the audit log, only ids.

CREATE TABLE women (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    birth_date   TEXT,
    posyandu_id  INTEGER NOT NULL REFERENCES posyandu (id),
    catin        INTEGER NOT NULL DEFAULT 0,        -- registered as calon pengantin
    status       TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'moved', 'deceased')),
    created_by   INTEGER,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);
CREATE INDEX women_posyandu ON women (posyandu_id, status);

CREATE TABLE pregnancies (
    id           INTEGER PRIMARY KEY,
    woman_id     INTEGER NOT NULL REFERENCES women (id) ON DELETE CASCADE,
    lmp          TEXT,                              -- HPHT; NULL when she was registered after the birth
    due_date     TEXT,                              -- HPL (Naegele)
    ended_on     TEXT,
    outcome      TEXT    CHECK (outcome IS NULL OR outcome IN ('birth', 'loss')),
    child_id     INTEGER REFERENCES children (id) ON DELETE SET NULL,
    created_by   INTEGER,
    created_at   TEXT    NOT NULL,
    CHECK ((ended_on IS NULL) = (outcome IS NULL)),
    CHECK (lmp IS NOT NULL OR ended_on IS NOT NULL)
);
CREATE UNIQUE INDEX pregnancies_one_ongoing ON pregnancies (woman_id) WHERE ended_on IS NULL;
CREATE INDEX pregnancies_woman ON pregnancies (woman_id, created_at);
CREATE INDEX pregnancies_child ON pregnancies (child_id);

-- Every contact: a check (LiLA, Hb, counselling), an ANC visit, a postnatal visit (KF) or a home visit.
CREATE TABLE woman_visits (
    id               INTEGER PRIMARY KEY,
    woman_id         INTEGER NOT NULL REFERENCES women (id) ON DELETE CASCADE,
    pregnancy_id     INTEGER REFERENCES pregnancies (id) ON DELETE CASCADE,
    kind             TEXT    NOT NULL CHECK (kind IN ('check', 'anc', 'postnatal', 'home')),
    visited_on       TEXT    NOT NULL,
    muac_cm          REAL,
    hb_g_dl          REAL,
    by_doctor        INTEGER NOT NULL DEFAULT 0,
    ttd_tablets      INTEGER,
    kf               INTEGER CHECK (kf IS NULL OR kf BETWEEN 1 AND 4),
    family_planning  TEXT,
    counselling      INTEGER NOT NULL DEFAULT 0,
    checklist        TEXT    NOT NULL DEFAULT '',   -- comma-separated item keys
    note             TEXT,
    entered_by       INTEGER,
    created_at       TEXT    NOT NULL
);
CREATE INDEX woman_visits_woman ON woman_visits (woman_id, visited_on, id);
CREATE INDEX woman_visits_day ON woman_visits (visited_on);

CREATE TABLE cases (
    id              INTEGER PRIMARY KEY,
    child_id        INTEGER REFERENCES children (id) ON DELETE CASCADE,
    woman_id        INTEGER REFERENCES women (id) ON DELETE CASCADE,
    posyandu_id     INTEGER NOT NULL REFERENCES posyandu (id),
    state           TEXT    NOT NULL DEFAULT 'open'
                    CHECK (state IN ('open', 'visited', 'referred', 'seen', 'recovering', 'closed', 'moved', 'died',
                                     'lost')),
    reasons         TEXT    NOT NULL DEFAULT '',    -- every reason the case has had, most urgent first
    opened_at       TEXT    NOT NULL,
    opened_month    TEXT    NOT NULL,               -- first day of the local month it opened in
    remind_at       TEXT,                           -- next deadline: the cadre/TPK is reminded (NULL: acted on)
    escalate_at     TEXT,                           -- then the coordinator
    last_action_at  TEXT,
    closed_at       TEXT,
    closed_on       TEXT,                           -- local date of closing (reports by month)
    closed_reason   TEXT    CHECK (closed_reason IS NULL OR closed_reason IN ('recovered', 'discharged',
                                                                              'not_confirmed', 'moved', 'died',
                                                                              'lost')),
    CHECK ((child_id IS NULL) <> (woman_id IS NULL))
);
CREATE UNIQUE INDEX cases_open_child ON cases (child_id) WHERE closed_at IS NULL AND child_id IS NOT NULL;
CREATE UNIQUE INDEX cases_open_woman ON cases (woman_id) WHERE closed_at IS NULL AND woman_id IS NOT NULL;
CREATE INDEX cases_posyandu ON cases (posyandu_id, closed_at);
CREATE INDEX cases_remind ON cases (remind_at) WHERE closed_at IS NULL;

-- The timeline: what happened and who did it. kind: opened, reason, visit, referral, outcome, note, close,
-- recovered (closed by the measurements), overdue (the cadre/TPK was reminded), escalated (the coordinator was).
CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    on_date     TEXT    NOT NULL,                   -- the local day it happened (as entered)
    at          TEXT    NOT NULL,                   -- when it was recorded (UTC)
    actor_id    INTEGER,
    actor_role  TEXT,
    reasons     TEXT    NOT NULL DEFAULT '',
    detail      TEXT,                               -- outcome, close reason or referral place
    checklist   TEXT    NOT NULL DEFAULT '',
    note        TEXT,
    deadline    TEXT                                -- overdue/escalated: the deadline that passed
);
CREATE INDEX case_events_case ON case_events (case_id, id);
CREATE INDEX case_events_day ON case_events (on_date, kind);
CREATE UNIQUE INDEX case_events_deadline ON case_events (case_id, kind, deadline) WHERE deadline IS NOT NULL;
