-- 0061: the months of the vitamin A rounds, per year, when the ministry moves a round (2023: August -> October,
-- Kemenkes letter GM.03.03/B.III/300/2024). A year without a row uses February and August.
CREATE TABLE vitamin_a_rounds (
    year        INTEGER PRIMARY KEY,
    months      TEXT    NOT NULL,   -- comma-separated month numbers, e.g. '2,10'
    changed_by  INTEGER,
    changed_at  TEXT    NOT NULL
);
