-- What `bin/rails db:migrate` runs for 20251124020634_add_confirmable_to_users.rb.
ALTER TABLE users
    ADD COLUMN confirmation_token character varying,
    ADD COLUMN confirmed_at timestamp(6) without time zone,
    ADD COLUMN confirmation_sent_at timestamp(6) without time zone,
    ADD COLUMN unconfirmed_email character varying;
CREATE UNIQUE INDEX index_users_on_confirmation_token ON users (confirmation_token);
