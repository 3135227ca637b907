-- Archive status (foundation).

CREATE FUNCTION pg_logship.archive_status_internal(
    OUT archive_dir text,
    OUT archive_layout text,
    OUT server_name text,
    OUT compression text,
    OUT archive_mode_active boolean,
    OUT archive_library_active boolean,
    OUT ready_count bigint,
    OUT ready_bytes bigint,
    OUT oldest_ready_file text,
    OUT oldest_ready_age_seconds double precision,
    OUT published_count bigint,
    OUT acknowledged_count bigint,
    OUT conflict_count bigint,
    OUT refused_count bigint,
    OUT io_failure_count bigint,
    OUT bytes_written bigint,
    OUT bytes_original bigint,
    OUT temp_files_swept bigint,
    OUT last_conflict_file text,
    OUT last_conflict_time timestamptz,
    OUT last_error text,
    OUT last_error_time timestamptz,
    OUT quarantined_files bigint,
    OUT archive_workers integer,
    OUT workers_running integer,
    OUT queue_depth integer,
    OUT worker_files bigint,
    OUT inline_files bigint,
    OUT files_per_second double precision,
    OUT lookahead_scans bigint,
    OUT archiver_wakeups bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'pgls_archive_status_internal'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

REVOKE ALL ON FUNCTION pg_logship.archive_status_internal() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pg_logship.archive_status_internal() TO pg_monitor;

-- Settings, pg_logship's counters (since server start) and the archiver's statistics in one row.
CREATE VIEW pg_logship.archive_status AS
SELECT s.archive_dir,
       s.archive_layout,
       s.server_name,
       s.compression,
       s.archive_mode_active,
       s.archive_library_active,
       a.archived_count,
       a.last_archived_wal,
       a.last_archived_time,
       a.failed_count,
       a.last_failed_wal,
       a.last_failed_time,
       s.ready_count,
       s.ready_bytes,
       s.oldest_ready_file,
       s.oldest_ready_age_seconds,
       s.published_count,
       s.acknowledged_count,
       s.conflict_count,
       s.quarantined_files,
       s.last_conflict_file,
       s.last_conflict_time,
       s.refused_count,
       s.io_failure_count,
       s.bytes_written,
       s.bytes_original,
       s.temp_files_swept,
       s.last_error,
       s.last_error_time,
       s.archiver_wakeups,
       s.archive_workers,
       s.workers_running,
       s.queue_depth,
       s.worker_files,
       s.inline_files,
       round(s.files_per_second::numeric, 2) AS files_per_second,
       s.lookahead_scans,
       CASE WHEN s.bytes_written > 0
            THEN round(s.bytes_original::numeric / s.bytes_written, 2) END AS compression_ratio,
       a.stats_reset
  FROM pg_logship.archive_status_internal() s
 CROSS JOIN pg_stat_archiver a;

REVOKE ALL ON pg_logship.archive_status FROM PUBLIC;
GRANT SELECT ON pg_logship.archive_status TO pg_monitor;
