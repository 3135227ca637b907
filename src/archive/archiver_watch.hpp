/*
 * archiver_watch.hpp -- waking the archiver when an archive fault clears.
 *
 * After failed attempts PostgreSQL's archiver waits up to a minute before it tries again, unless
 * its latch is set (a new .ready file, a reload). So after a missing, unwritable or full archive
 * is fixed, archiving would resume only up to a minute later. The archive callback records
 * whether its last attempt failed, and whether it failed because the archive was not accessible,
 * not writable or full ("blocked"). The monitor worker checks once a second: while the archiver
 * is failing and files wait, it looks at the archive; once it sees the archive accessible again
 * (after the callback or the watch itself saw it blocked), it wakes the archiver (PgArchWakeup),
 * logs it and counts it (archive_status.archiver_wakeups). If the attempts go on failing, further
 * wake-ups are spaced 2, 4, 8 ... 60 s apart, so the archiver is never made to retry faster than
 * its own pace by much. Other failures (a refused file, a damaged archived copy) are left to the
 * archiver's own retries.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace pgls
{

/* Registers the shared state and the monitor task (from _PG_init during preload). */
void archiver_watch_init(void);

/* In the archive callback, after each attempt: whether it failed, and whether because the
 * archive was not accessible, not writable or full. */
void archiver_watch_note(bool failed, bool blocked);

/* Whether an I/O error (errno) of an attempt means the archive is not writable or full. */
bool archive_error_blocks(int err);

/* Wake-ups of the archiver by the watch since the server started (0 without preload). */
uint64 archiver_watch_wakeups(void);

} // namespace pgls
