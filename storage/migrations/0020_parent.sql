-- 0020: parent journey. Attempts to link a child with a code, kept to rate-limit guessing
-- (bot/services/parent.py: a few wrong codes per hour per Telegram user, then a polite wait).
-- Only the Telegram id, the time and whether it worked: never the code typed (it could be someone else's).
CREATE TABLE parent_code_attempts (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL,
    attempted_at  TEXT    NOT NULL,
    ok            INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX parent_code_attempts_user ON parent_code_attempts (user_id, attempted_at);
