-- What `bin/rails db:migrate` runs for 20251201090000_remove_legacy_phone_from_users.rb
-- (destructive: the column and its values are gone).
ALTER TABLE users DROP COLUMN legacy_phone;
