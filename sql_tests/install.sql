-- The extension installs into schema pg_logship, and the archive_status view has its columns.
CREATE EXTENSION pg_logship;
SELECT e.extversion,
       (SELECT nspowner::regrole FROM pg_namespace WHERE nspname = 'pg_logship') IS NOT NULL
           AS schema_exists,
       'pg_logship.archive_status'::regclass IS NOT NULL AS view_exists
  FROM pg_extension e
 WHERE e.extname = 'pg_logship';
-- Every object the extension owns (a new feature adds its objects here). PostgreSQL 17 and
-- later also list the views' row types and their array types: left out, on every version.
SELECT pg_describe_object(d.classid, d.objid, 0) AS object
  FROM pg_depend d
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_logship')
   AND d.deptype = 'e'
   AND NOT EXISTS (SELECT 1 FROM pg_type t
                    WHERE d.classid = 'pg_type'::regclass AND t.oid = d.objid
                      AND (t.typrelid <> 0 OR t.typelem IN (SELECT oid FROM pg_type
                                                             WHERE typrelid <> 0)))
 ORDER BY 1;
SELECT attname, format_type(atttypid, atttypmod)
  FROM pg_attribute
 WHERE attrelid = 'pg_logship.archive_status'::regclass AND attnum > 0
 ORDER BY attnum;
-- One row; the settings in force come from regress.conf; archiving is off in this instance.
SELECT archive_dir, archive_layout, server_name <> '' AS has_server_name,
       archive_mode_active, archive_library_active,
       ready_count, ready_bytes, published_count, conflict_count, quarantined_files
  FROM pg_logship.archive_status;
SELECT count(*) FROM pg_logship.archive_status;
-- Without cluster_name the server name defaults to "<host name>-<port>".
SELECT server_name ~ ('^[A-Za-z0-9_-]+-' || current_setting('port') || '$') AS default_name
  FROM pg_logship.archive_status;
