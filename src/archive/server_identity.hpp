/*
 * server_identity.hpp -- the archiver makes sure its server name is its own (core/identity.hpp).
 *
 * Before the archiver touches the archive (sweep, look-ahead jobs, the file itself), it claims its
 * name there on first use, or checks that the claim is its own: once per process and archive
 * location, and again every minute (one read of a small file). Archive workers only run jobs the
 * archiver queued after that check, so they need none of their own. A name claimed by another
 * server stops archiving with an ERROR that says who holds it, and a critical finding in
 * pg_logship.health(); nothing in the archive is touched until the server has a name of its own.
 */
#pragma once

#include "pg/pg_headers.hpp"

#include "archive/archive_call.hpp"

namespace pgls
{

/* Registers the shared identity state (from _PG_init, while preloading). */
void identity_shmem_register(void);

/*
 * In the archiver, with call's root and server filled in: checks the claim (see above) and puts
 * the instance id in call->instance. ereports ERROR when the name is not this server's or the
 * check fails. Holds no C++ object.
 */
void archive_identity_check(ArchiveCall *call);

/*
 * For health() and archive cleanup: true, with a sentence in buf, when the archiver found the
 * server name in force claimed by another server in the archive in force.
 */
bool identity_problem(char *buf, size_t len);

} // namespace pgls
