-- 0110: several workers, one bot (issue 18 item 2, docs/workers.md). Plain DDL that SQLite and PostgreSQL both read.
--
-- Scheduled sends are claimed in batches with a lease: `claimed_by` is the worker (WORKER_ID, default host:pid),
-- `lease_until` (UTC ISO text, like every time here) the moment another worker may take the row over. A row is
-- sent only by the worker that still holds its claim just before the send (storage/work_queries.py).
ALTER TABLE reminders_sent ADD COLUMN claimed_by TEXT;
ALTER TABLE reminders_sent ADD COLUMN lease_until TEXT;
ALTER TABLE broadcast_deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE broadcast_deliveries ADD COLUMN lease_until TEXT;
-- The answer to a parent's question (bot/services/parent_threads.deliver_answer): claimed the same way.
ALTER TABLE parent_threads ADD COLUMN answer_claimed_by TEXT;
ALTER TABLE parent_threads ADD COLUMN answer_lease_until TEXT;
CREATE INDEX broadcast_deliveries_claim ON broadcast_deliveries (broadcast_id, status, lease_until);

-- One row per live worker: its heartbeat. The send budget (Telegram's 30 messages a second per bot) is split
-- between the workers seen recently (bot/workers.py); a worker that stops cleanly deletes its row. `pause_until`:
-- Telegram told this worker to wait (429 retry_after) until then; the others pause too (the limit is the bot's).
CREATE TABLE workers (
    worker_id    TEXT PRIMARY KEY,
    started_at   TEXT NOT NULL,
    seen_at      TEXT NOT NULL,
    pause_until  TEXT
);

-- Webhook mode with several workers (UPDATE_SHARDS > 0, bot/inbox.py): the webhook of any worker stores the
-- update here (update_id is the key, so a delivery Telegram retries is stored once) and answers 200; the worker
-- that owns the update's shard processes its shard's updates in update_id order. A processed row keeps only
-- its id (the payload, with personal data, is cleared) until it is purged a day later, so a late retry of
-- Telegram's is still recognised.
CREATE TABLE update_inbox (
    update_id    INTEGER PRIMARY KEY,
    shard        INTEGER NOT NULL,
    payload      TEXT,
    received_at  TEXT    NOT NULL,
    done_at      TEXT
);
CREATE INDEX update_inbox_todo ON update_inbox (done_at, shard, update_id);

-- One row per shard: the worker that owns it until `lease_until`; `epoch` grows with every change of owner.
CREATE TABLE update_shards (
    shard        INTEGER PRIMARY KEY,
    owner        TEXT,
    lease_until  TEXT,
    epoch        INTEGER NOT NULL DEFAULT 0
);
