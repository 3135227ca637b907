-- Slot-aware WAL retention and safe archive cleanup. How each column is computed: README.md,
-- "Slot-aware retention and archive cleanup".

CREATE FUNCTION pg_logship.slots_internal(
    OUT slot_name text,
    OUT slot_type text,
    OUT active boolean,
    OUT active_pid integer,
    OUT restart_lsn pg_lsn,
    OUT retained_bytes bigint,
    OUT wal_status text,
    OUT safe_wal_size bigint,
    OUT retained_archived boolean,
    OUT inactive_seconds double precision,
    OUT seconds_to_limit double precision,
    OUT limit_kind text,
    OUT last_action text,
    OUT last_action_time timestamptz,
    OUT last_action_from_lsn pg_lsn,
    OUT last_action_to_lsn pg_lsn,
    OUT last_action_detail text,
    OUT standby_needs_lsn pg_lsn)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pgls_slots_internal'
LANGUAGE C STRICT VOLATILE;

-- One row per replication slot, on a primary or a standby.
CREATE VIEW pg_logship.slots AS
SELECT * FROM pg_logship.slots_internal();

-- Findings about slots and archive cleanup, as rows of pg_logship.health().
CREATE FUNCTION pg_logship.slot_health(
    OUT severity text,
    OUT component text,
    OUT message text,
    OUT hint text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pgls_slot_health'
LANGUAGE C STRICT VOLATILE;

-- The archived WAL nothing needs any more: listed (dry_run, the default) or removed (superuser).
CREATE FUNCTION pg_logship.archive_cleanup(
    dry_run boolean DEFAULT true,
    OUT file_name text,
    OUT removed boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pgls_archive_cleanup'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

-- Why archive_cleanup() keeps what it keeps (or why it refuses), in one row.
CREATE FUNCTION pg_logship.archive_cleanup_boundary(
    OUT archive_folder text,
    OUT oldest_kept text,
    OUT kept_by text,
    OUT kept_lsn pg_lsn,
    OUT backups_kept integer,
    OUT files_to_remove bigint,
    OUT refusal text)
RETURNS record
AS 'MODULE_PATHNAME', 'pgls_archive_cleanup_boundary'
LANGUAGE C STRICT VOLATILE;

REVOKE ALL ON FUNCTION pg_logship.slots_internal() FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_logship.slot_health() FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_logship.archive_cleanup(boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_logship.archive_cleanup_boundary() FROM PUBLIC;
REVOKE ALL ON pg_logship.slots FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pg_logship.slots_internal(), pg_logship.slot_health(),
    pg_logship.archive_cleanup(boolean), pg_logship.archive_cleanup_boundary() TO pg_monitor;
GRANT SELECT ON pg_logship.slots TO pg_monitor;
