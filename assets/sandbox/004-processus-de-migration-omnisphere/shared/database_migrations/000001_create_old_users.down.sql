DROP TABLE IF EXISTS legacy_sessions;
DROP TABLE IF EXISTS old_users;
