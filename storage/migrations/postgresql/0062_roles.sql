-- 0062 on PostgreSQL: the same new roles as storage/migrations/0062_roles.sql. PostgreSQL changes a CHECK
-- constraint in place, so the tables are not rebuilt (SQLite's procedure would drop the foreign keys that point
-- at users and invites).
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'coordinator', 'cadre', 'parent', 'health_worker', 'tpk', 'sponsor'));
ALTER TABLE invites DROP CONSTRAINT invites_role_check;
ALTER TABLE invites ADD CONSTRAINT invites_role_check
    CHECK (role IN ('admin', 'coordinator', 'cadre', 'parent', 'health_worker', 'tpk', 'sponsor'));
