/*
 * server_identity.cpp -- the archiver's claim on its server name (see server_identity.hpp).
 */
#include "pg/pg_headers.hpp"

#include "archive/server_identity.hpp"

#include "archive/s3_probe.hpp"

#include "archive/identity_call.hpp"
#include "settings.hpp"
#include "shmem.hpp"

extern "C"
{
#include "postmaster/postmaster.h"
}

#include <climits>
#include <cstdlib>

namespace pgls
{

namespace
{

/* A claim found to be ours is read again this often. */
constexpr long kRecheckMs = 60 * 1000;

/* What the archiver last found, for health() and archive cleanup in other processes. */
struct IdentityShared
{
	slock_t mutex;
	bool refused;
	char root[MAXPGPATH];
	char server[64];
	char problem[1024];
};

IdentityShared *identity_shared = nullptr;

/* The archiver's own memory of its last check. */
char my_instance[17];
char checked_root[MAXPGPATH];
char checked_server[64];
TimestampTz checked_at = 0;
bool checked_ok = false;
bool rebuilt_logged = false;

void
init_identity_shared(void *mem)
{
	IdentityShared *s = static_cast<IdentityShared *>(mem);
	memset(s, 0, sizeof *s);
	SpinLockInit(&s->mutex);
}

void
publish_state(const ArchiveCall *call, bool refused, const char *problem)
{
	if (identity_shared == nullptr)
		return;
	SpinLockAcquire(&identity_shared->mutex);
	identity_shared->refused = refused;
	strlcpy(identity_shared->root, call->root, sizeof identity_shared->root);
	strlcpy(identity_shared->server, call->server, sizeof identity_shared->server);
	strlcpy(identity_shared->problem, problem, sizeof identity_shared->problem);
	SpinLockRelease(&identity_shared->mutex);
}

/* The data directory with symlinks resolved, so that one directory has one name. */
void
data_directory(char *buf, size_t len)
{
	char resolved[PATH_MAX];
	if (realpath(DataDir, resolved) != nullptr)
		strlcpy(buf, resolved, len);
	else
		strlcpy(buf, DataDir, len);
}

void
refuse(const ArchiveCall *call, const IdentityCall *ic)
{
	char problem[3 * 1024]; /* room for the fields it is made of: no truncation */
	checked_ok = false;
	if (ic->status == IdentityCallStatus::Damaged)
	{
		snprintf(problem, sizeof problem,
				 "the claim of server name \"%s\" in the archive cannot be read: \"%s\": %s",
				 call->server, ic->claim_path, ic->reason);
		publish_state(call, true, problem);
		note_error(problem);
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the claim of pg_logship.server_name \"%s\" in the archive cannot be read",
						call->server),
				 errdetail("\"%s\" is not a claim record: %s. Nothing is archived under this "
						   "name; WAL stays in pg_wal.",
						   ic->claim_path, ic->reason),
				 errhint("If no running server uses the name \"%s\", remove \"%s\": this server "
						 "then claims the name. Or give this server a name of its own with "
						 "pg_logship.server_name and reload.",
						 call->server, ic->claim_path)));
	}
	snprintf(problem, sizeof problem,
			 "server name \"%s\" is claimed by another server (%s) in \"%s\"; nothing is "
			 "archived",
			 call->server, ic->holder, ic->claim_path);
	publish_state(call, true, problem);
	note_error(problem);
	ereport(ERROR,
			(errcode(ERRCODE_DUPLICATE_OBJECT),
			 errmsg("pg_logship.server_name \"%s\" is claimed by another server in the archive",
					call->server),
			 errdetail("The claim \"%s\" is held by %s. This server is %s; the claim differs "
					   "in: %s. Nothing is archived under this name; WAL stays in pg_wal.",
					   ic->claim_path, ic->holder, ic->me, ic->reason),
			 errhint("Give this server a name of its own with pg_logship.server_name and reload. "
					 "If the server that holds the claim is retired, remove \"%s\" to release "
					 "the name.",
					 ic->claim_path)));
}

} // namespace

void
identity_shmem_register(void)
{
	shmem_register("pg_logship server identity", sizeof(IdentityShared), init_identity_shared,
				   reinterpret_cast<void **>(&identity_shared));
}

void
archive_identity_check(ArchiveCall *call)
{
	TimestampTz now = GetCurrentTimestamp();
	if (checked_ok && strcmp(checked_root, call->root) == 0 &&
		strcmp(checked_server, call->server) == 0 &&
		!TimestampDifferenceExceeds(checked_at, now, kRecheckMs))
	{
		strlcpy(call->instance, my_instance, sizeof call->instance);
		return;
	}

	char datadir[MAXPGPATH];
	IdentityCall ic;
	memset(&ic, 0, sizeof ic);
	data_directory(datadir, sizeof datadir);
	ic.root = call->root;
	ic.s3 = call->s3;
	ic.file_mode = call->file_mode;
	ic.dir_mode = call->dir_mode;
	ic.probe_ok = call->probe_ok;
	strlcpy(ic.server, call->server, sizeof ic.server);
	ic.sysid = GetSystemIdentifier();
	ic.port = PostPortNumber;
	ic.data_directory = datadir;
	ic.pid = MyProcPid;
	ic.now = static_cast<int64_t>(time(nullptr));
	strlcpy(ic.instance, my_instance, sizeof ic.instance);
	run_identity_call(&ic);
	if (ic.probe_ran)
	{
		s3_probe_note_ok(call->root, call->s3);
		call->probe_ok = true;
	}

	if (ic.instance[0] != '\0' && strcmp(ic.instance, my_instance) != 0)
	{
		strlcpy(my_instance, ic.instance, sizeof my_instance);
		if (ic.instance_created && ic.instance_why[0] != '\0')
			ereport(LOG, (errmsg("pg_logship made a new instance id %s for this data directory",
								 ic.instance),
						  errdetail("The instance file in \"%s\" was not used: %s.", datadir,
									ic.instance_why),
						  errhint("This is expected once in a copy of a data directory, such as a "
								  "standby made with pg_basebackup.")));
	}

	switch (ic.status)
	{
		case IdentityCallStatus::Failed:
			checked_ok = false;
			if (shared())
				pg_atomic_fetch_add_u64(&shared()->archive.io_failures, 1);
			note_error(ic.message);
			errno = ic.err;
			ereport(ERROR,
					(ic.err ? errcode_for_file_access() : errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not check the claim of pg_logship.server_name \"%s\" in the "
							"archive: %s",
							call->server, ic.message),
					 ic.reason[0] ? errdetail("%s", ic.reason) : 0,
					 errhint("The archiver retries; WAL stays in pg_wal.")));
			break;
		case IdentityCallStatus::Foreign:
		case IdentityCallStatus::Damaged:
			refuse(call, &ic);
			break;
		case IdentityCallStatus::Created:
			ereport(LOG, (errmsg("pg_logship claimed server name \"%s\" in the archive as \"%s\"",
								 call->server, ic.claim_path)));
			break;
		case IdentityCallStatus::Rebuilt:
			if (!rebuilt_logged)
				ereport(LOG, (errmsg("server name \"%s\" was claimed by an earlier instance of "
									 "this server",
									 call->server),
							  errdetail("The claim \"%s\" is held by %s; this server is %s. The "
										"host, data directory and system identifier are the "
										"same, so the claim stands as it is.",
										ic.claim_path, ic.holder, ic.me)));
			rebuilt_logged = true;
			break;
		case IdentityCallStatus::Ours:
			break;
	}

	publish_state(call, false, "");
	strlcpy(checked_root, call->root, sizeof checked_root);
	strlcpy(checked_server, call->server, sizeof checked_server);
	checked_at = now;
	checked_ok = true;
	strlcpy(call->instance, my_instance, sizeof call->instance);
}

bool
identity_problem(char *buf, size_t len)
{
	if (identity_shared == nullptr || pgls_archive_dir == nullptr || pgls_archive_dir[0] == '\0')
		return false;
	char server[64];
	effective_server_name(server, sizeof server);
	bool refused;
	SpinLockAcquire(&identity_shared->mutex);
	refused = identity_shared->refused && strcmp(identity_shared->root, pgls_archive_dir) == 0 &&
			  strcmp(identity_shared->server, server) == 0;
	if (refused)
		strlcpy(buf, identity_shared->problem, len);
	SpinLockRelease(&identity_shared->mutex);
	return refused;
}

} // namespace pgls
