-- Nothing is granted to PUBLIC; pg_monitor members and superusers may read.
CREATE ROLE pgls_plain LOGIN;
CREATE ROLE pgls_monitor LOGIN IN ROLE pg_monitor;
SET ROLE pgls_plain;
SELECT count(*) FROM pg_logship.archive_status;
SELECT * FROM pg_logship.archive_status_internal();
RESET ROLE;
SET ROLE pgls_monitor;
SELECT count(*) FROM pg_logship.archive_status;
RESET ROLE;
SELECT has_schema_privilege('public', 'pg_logship', 'USAGE') AS public_usage,
       has_table_privilege('public', 'pg_logship.archive_status', 'SELECT') AS public_select,
       has_function_privilege('public', 'pg_logship.archive_status_internal()', 'EXECUTE')
           AS public_execute;
DROP ROLE pgls_plain;
DROP ROLE pgls_monitor;
