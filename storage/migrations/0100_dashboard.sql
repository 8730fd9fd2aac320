-- 0100: the dashboard (Mini App, issue 17): month counts kept per posyandu for the 12-month trends, and the
-- team's notes of the annual review (aksi konvergensi 8).

-- What bot.services.status.month_counts returned for one posyandu and month (the same counts as /rekap),
-- kept so a city's 12-month trend is read in one query instead of counted twelve times. A row is current while
-- `version` equals the posyandu's version below (raised whenever a child's status there is decided again) and
-- `fingerprint` equals the posyandu's active children ("count:sum of ids": a registration, a move or a child
-- leaving changes it); otherwise it is counted again by month_counts when read.
CREATE TABLE dashboard_month_counts (
    posyandu_id     INTEGER NOT NULL REFERENCES posyandu (id) ON DELETE CASCADE,
    month           TEXT    NOT NULL,                 -- first day of the month, YYYY-MM-01
    version         INTEGER NOT NULL,
    fingerprint     TEXT    NOT NULL,
    s               INTEGER NOT NULL DEFAULT 0,
    d               INTEGER NOT NULL DEFAULT 0,
    n               INTEGER NOT NULL DEFAULT 0,
    t               INTEGER NOT NULL DEFAULT 0,
    t2              INTEGER NOT NULL DEFAULT 0,
    o               INTEGER NOT NULL DEFAULT 0,
    b               INTEGER NOT NULL DEFAULT 0,
    too_soon        INTEGER NOT NULL DEFAULT 0,
    bgm             INTEGER NOT NULL DEFAULT 0,
    remeasure       INTEGER NOT NULL DEFAULT 0,
    with_waz        INTEGER NOT NULL DEFAULT 0,
    with_haz        INTEGER NOT NULL DEFAULT 0,
    with_whz        INTEGER NOT NULL DEFAULT 0,
    underweight     INTEGER NOT NULL DEFAULT 0,
    stunted         INTEGER NOT NULL DEFAULT 0,
    severe_stunted  INTEGER NOT NULL DEFAULT 0,
    wasted          INTEGER NOT NULL DEFAULT 0,
    severe_wasted   INTEGER NOT NULL DEFAULT 0,
    overweight      INTEGER NOT NULL DEFAULT 0,
    refer           INTEGER NOT NULL DEFAULT 0,
    urgent          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (posyandu_id, month)
);

-- What storage.dashboard_queries.year_stunting counted for one posyandu, year and last month (the annual review's
-- "moved out of stunting"), kept and checked exactly like the month counts above.
CREATE TABLE dashboard_year_stunting (
    posyandu_id     INTEGER NOT NULL REFERENCES posyandu (id) ON DELETE CASCADE,
    year            INTEGER NOT NULL,
    until_month     TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    fingerprint     TEXT    NOT NULL,
    measured        INTEGER NOT NULL DEFAULT 0,
    ever_stunted    INTEGER NOT NULL DEFAULT 0,
    stunted_latest  INTEGER NOT NULL DEFAULT 0,
    moved_out       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (posyandu_id, year, until_month)
);

-- Raised (in the status service's listener) whenever children of the posyandu are decided again.
CREATE TABLE dashboard_posyandu_version (
    posyandu_id  INTEGER PRIMARY KEY REFERENCES posyandu (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL DEFAULT 1
);

-- The annual review's notes (one per area and year), written by coordinators in the dashboard; every change
-- is in audit_log (field names only).
CREATE TABLE review_notes (
    area_id          INTEGER NOT NULL REFERENCES areas (id) ON DELETE CASCADE,
    year             INTEGER NOT NULL,
    achievements     TEXT    NOT NULL DEFAULT '',
    obstacles        TEXT    NOT NULL DEFAULT '',
    recommendations  TEXT    NOT NULL DEFAULT '',
    updated_by       INTEGER,
    updated_at       TEXT    NOT NULL,
    PRIMARY KEY (area_id, year)
);
