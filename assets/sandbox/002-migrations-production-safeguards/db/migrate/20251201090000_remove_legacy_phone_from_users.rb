class RemoveLegacyPhoneFromUsers < ActiveRecord::Migration[8.0]
  def change
    # The numbers were copied to `phone` in November; the old column goes.
    remove_column :users, :legacy_phone, :string
  end
end
