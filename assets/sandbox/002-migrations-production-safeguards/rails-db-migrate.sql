-- What `bin/rails db:migrate` does to this sandbox's database with the two
-- pending migrations of db/migrate, written out as SQL. Neither docker nor
-- rails exists in a rehearsal: the operator applies this by hand where the
-- runbook says `docker exec … bin/rails db:migrate` (steps 1.2 and 2.4),
-- then the runbook's `migrations … expect=none` and /health checks must see
-- nothing pending:
--
--   psql "$STAGING_DB_URL" -v ON_ERROR_STOP=1 -1 -f rails-db-migrate.sql
--
-- As Rails does, each migration's changes and its schema_migrations row go
-- together.

-- 20251124020634_add_confirmable_to_users.rb
ALTER TABLE users
    ADD COLUMN confirmation_token character varying,
    ADD COLUMN confirmed_at timestamp(6) without time zone,
    ADD COLUMN confirmation_sent_at timestamp(6) without time zone,
    ADD COLUMN unconfirmed_email character varying;
CREATE UNIQUE INDEX index_users_on_confirmation_token ON users (confirmation_token);
INSERT INTO schema_migrations (version) VALUES ('20251124020634');

-- 20251201090000_remove_legacy_phone_from_users.rb (destructive)
ALTER TABLE users DROP COLUMN legacy_phone;
INSERT INTO schema_migrations (version) VALUES ('20251201090000');
