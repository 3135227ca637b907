-- Every setting is validated by name; bad values are refused and the old value stays.
SHOW pg_logship.archive_layout;
ALTER SYSTEM SET pg_logship.archive_dir = 'relative/path';
ALTER SYSTEM SET pg_logship.archive_dir = '/ok/absolute';
ALTER SYSTEM RESET pg_logship.archive_dir;
ALTER SYSTEM SET pg_logship.archive_layout = 'bogus';
ALTER SYSTEM SET pg_logship.archive_layout = 'per_server';
ALTER SYSTEM RESET pg_logship.archive_layout;
ALTER SYSTEM SET pg_logship.server_name = 'has space';
ALTER SYSTEM SET pg_logship.server_name = 'has/slash';
ALTER SYSTEM SET pg_logship.server_name = 'a_name_that_is_much_too_long_to_be_a_server_name_in_the_archive_x';
ALTER SYSTEM SET pg_logship.server_name = 'standby-1_ok';
ALTER SYSTEM RESET pg_logship.server_name;
-- Compression: lz4 by default; the level is checked against the widest range (zstd's), and the
-- archiver uses at most an algorithm's own maximum.
SHOW pg_logship.compression;
SHOW pg_logship.compression_level;
ALTER SYSTEM SET pg_logship.compression = 'gzip';
ALTER SYSTEM SET pg_logship.compression = 'zstd';
ALTER SYSTEM SET pg_logship.compression = 'none';
ALTER SYSTEM RESET pg_logship.compression;
ALTER SYSTEM SET pg_logship.compression_level = 20;
ALTER SYSTEM SET pg_logship.compression_level = -1;
ALTER SYSTEM SET pg_logship.compression_level = 19;
ALTER SYSTEM RESET pg_logship.compression_level;
-- Reload-only settings cannot be changed in a session.
SET pg_logship.archive_dir = '/tmp/x';
SET pg_logship.compression = 'zstd';
-- The prefix is reserved: a misspelt setting is refused.
SET pg_logship.archive_dri = '/tmp/x';
-- Dropping the extension removes its schema.
DROP EXTENSION pg_logship;
SELECT count(*) FROM pg_namespace WHERE nspname = 'pg_logship';
