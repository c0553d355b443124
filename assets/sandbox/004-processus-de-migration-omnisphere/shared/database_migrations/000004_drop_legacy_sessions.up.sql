-- Sessions now live in Redis (auth-service); the old table is no longer read.
DROP TABLE legacy_sessions;
