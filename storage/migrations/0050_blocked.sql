-- "The user blocked the bot" is not "an admin deactivated the user": keep the first apart, so that a
-- user who unblocks the bot (and writes to it again) becomes reachable without undoing a deactivation.
ALTER TABLE users ADD COLUMN blocked_at TEXT;
