-- 0030: reminders outbox. A row is claimed (status 'pending', with the rendered message) before sending and
-- marked 'sent' after, so a restart neither skips nor repeats a reminder: pending rows are retried at the
-- next run. `tz` is the recipient's local zone for quiet hours; `expires_at` stops a stale reminder
-- (e.g. "posyandu tomorrow" after the session) from going out after a long outage.
ALTER TABLE reminders_sent ADD COLUMN payload     TEXT;
ALTER TABLE reminders_sent ADD COLUMN tz          TEXT    NOT NULL DEFAULT 'Asia/Jakarta';
ALTER TABLE reminders_sent ADD COLUMN due_at      TEXT;
ALTER TABLE reminders_sent ADD COLUMN expires_at  TEXT;
ALTER TABLE reminders_sent ADD COLUMN claimed_at  TEXT;
ALTER TABLE reminders_sent ADD COLUMN attempts    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reminders_sent ADD COLUMN error       TEXT;
CREATE INDEX reminders_sent_pending ON reminders_sent (status, id);
