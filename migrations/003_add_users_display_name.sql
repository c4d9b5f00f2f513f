-- UP
ALTER TABLE users ADD COLUMN display_name TEXT;

-- DOWN
ALTER TABLE users DROP COLUMN display_name;
