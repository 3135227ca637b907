-- Schema and grants shared by every part.

-- The schema is named like the extension. Names starting with "pg_" are reserved for system
-- schemas, so it is created here (not from the control file) with allow_system_table_mods set for
-- this transaction only; it belongs to the extension and DROP EXTENSION removes it.
SELECT pg_catalog.set_config('allow_system_table_mods', 'on', true);
CREATE SCHEMA pg_logship;
SELECT pg_catalog.set_config('allow_system_table_mods', 'off', true);

-- Nothing in this schema is for PUBLIC: monitoring roles (pg_monitor) and superusers only.
REVOKE ALL ON SCHEMA pg_logship FROM PUBLIC;
GRANT USAGE ON SCHEMA pg_logship TO pg_monitor;
