-- UP
INSERT INTO notes (body) VALUES ('hello');

-- DOWN
DELETE FROM notes;
