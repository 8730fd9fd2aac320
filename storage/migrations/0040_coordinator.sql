-- 0040: coordinator journey. Where a broadcast's author follows its progress (the message we keep
-- editing), so that a restart resumes editing the same message; and when the final report was sent,
-- so that it is sent exactly once.
CREATE TABLE broadcast_progress (
    broadcast_id  INTEGER PRIMARY KEY REFERENCES broadcasts (id) ON DELETE CASCADE,
    chat_id       INTEGER NOT NULL,
    message_id    INTEGER,
    recipients    INTEGER NOT NULL DEFAULT 0,
    started_at    TEXT,
    finished_at   TEXT,
    reported_at   TEXT
);
