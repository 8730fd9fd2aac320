-- 0080: parents ask a person (issue 15, bot/services/parent_threads.py). A parent's question goes to the cadres
-- of the child's posyandu and the health workers of its area; the first reply goes back to the parent; a
-- question still open after one working day goes to the area's coordinators. The parent's phone number is
-- never stored or shown here. Deleting the parent (/hapus_saya) deletes their threads (ON DELETE CASCADE).
CREATE TABLE parent_threads (
    id              INTEGER PRIMARY KEY,
    parent_id       INTEGER NOT NULL REFERENCES users (telegram_id) ON DELETE CASCADE,
    child_id        INTEGER REFERENCES children (id) ON DELETE SET NULL,
    posyandu_id     INTEGER NOT NULL REFERENCES posyandu (id),
    question        TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered')),
    created_at      TEXT    NOT NULL,
    due_at          TEXT    NOT NULL,   -- still open at this time: escalate (one working day, docs/parents.md)
    escalated_at    TEXT,
    answered_at     TEXT,
    answered_by     INTEGER,
    answer          TEXT,
    answer_sent_at  TEXT                -- the answer reached the parent (retried by the job until it does)
);
CREATE INDEX parent_threads_open ON parent_threads (status, escalated_at, due_at);
CREATE INDEX parent_threads_parent ON parent_threads (parent_id);
CREATE INDEX parent_threads_posyandu ON parent_threads (posyandu_id, status);

-- One row per person a question was sent to: which message in their chat holds it, so that a Telegram reply
-- to that message is an answer to this thread (and only that person's reply to that message).
CREATE TABLE parent_thread_copies (
    thread_id     INTEGER NOT NULL REFERENCES parent_threads (id) ON DELETE CASCADE,
    recipient_id  INTEGER NOT NULL,
    role          TEXT    NOT NULL,           -- why they got it: cadre | health_worker | coordinator
    escalation    INTEGER NOT NULL DEFAULT 0, -- 1: sent because nobody answered in time
    message_id    INTEGER,                    -- NULL until sent
    claimed_at    TEXT,                       -- a sender took it (lease: another may retry after a while)
    sent_at       TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0, -- 1: given up (blocked bot, chat gone)
    PRIMARY KEY (thread_id, recipient_id)
);
CREATE INDEX parent_thread_copies_message ON parent_thread_copies (recipient_id, message_id);
CREATE INDEX parent_thread_copies_unsent ON parent_thread_copies (sent_at, failed);
