/*
 * identity_call.hpp -- one check of this server's claim on its name, as plain data between the
 * archiver (PostgreSQL side, server_identity.cpp) and the C++ core (core/identity.hpp).
 *
 * run_identity_call() loads (or makes) the instance id, then claims the name in the archive or
 * checks the claim there; it runs the core under a catch-all and never throws, so no PostgreSQL
 * error can jump over a C++ object.
 */
#pragma once

#include <cstddef>
#include "core/store_spec.hpp"

#include <cstdint>

namespace pgls
{

enum class IdentityCallStatus
{
	Failed,  /* I/O or other failure: message says what */
	Created, /* the name was free and is now claimed by this server */
	Ours,    /* claimed by this instance */
	Rebuilt, /* claimed by an earlier instance of this server (same host, directory, cluster) */
	Foreign, /* claimed by another server: holder, me and reason say how they differ */
	Damaged, /* the claim record cannot be read: reason says why */
};

struct IdentityCall
{
	/* inputs */
	const char *root;   /* archive root */
	S3SettingValues s3; /* for an s3:// root */
	unsigned file_mode; /* for a filesystem root (the data directory's modes) */
	unsigned dir_mode;
	bool probe_ok;              /* in: the s3:// store is known to honour If-None-Match: * */
	char server[64];            /* the name to claim */
	uint64_t sysid;             /* system identifier */
	int port;                   /* for people reading the claim */
	const char *data_directory; /* absolute, symlinks resolved */
	long pid;
	int64_t now;       /* seconds since the epoch */
	char instance[17]; /* in: the instance id if known ("" loads or makes it); out: the id */

	/* outputs */
	IdentityCallStatus status;
	bool instance_created;  /* a new instance id was made (and its file written) */
	bool probe_ran;         /* the s3:// store was probed, and passed (cache it) */
	char instance_why[512]; /* instance_created over an existing file: why that one was not used */
	char claim_path[1024];
	char holder[1024]; /* Ours/Rebuilt/Foreign: who the claim names (describe_server) */
	char me[1024];     /* this server, described the same way */
	char reason[512];  /* Foreign: what differs; Damaged: what is wrong */
	char message[512]; /* Failed: the error */
	int err;           /* Failed: errno of an I/O failure, else 0 */
};

void run_identity_call(IdentityCall *call) noexcept;

} // namespace pgls
