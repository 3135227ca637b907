/*
 * archive_call.hpp -- one archive attempt as plain data, between the PG callback and the C++ core.
 *
 * The archive callback (PostgreSQL side) fills the inputs, calls run_archive_call(), which runs
 * the core under a catch-all and never throws, then reports the outputs with ereport. Keeping
 * every C++ object inside run_archive_call() means no PostgreSQL error can ever jump over one.
 */
#pragma once

#include "core/store_spec.hpp"

#include <cstddef>
#include <cstdint>

namespace pgls
{

enum class CallStatus
{
	Ok,
	Refused, /* the offered file is not acceptable */
	Failed,  /* I/O or other failure: the archiver retries */
	Damaged, /* the archive's copy of the file is damaged: the archiver retries */
};

struct ArchiveCall
{
	/* inputs */
	const char *root;
	int layout;
	char server[64];
	char instance[17]; /* this server's instance id (core/identity.hpp), for temp names */
	const char *file;
	const char *path;
	long pid;
	uint64_t sysid;
	uint64_t seg_size;
	bool sweep;         /* also sweep stale temp files of this server first */
	int compression;    /* pgls::Compression */
	int level;          /* as set; clamped to the algorithm's range here */
	unsigned file_mode; /* for files and folders created in a filesystem archive: the data */
	unsigned dir_mode;  /* directory's (0600/0700, or 0640/0750 with group access) */
	S3SettingValues s3; /* for an s3:// root (this process's setting values) */
	bool probe_ok;      /* this s3:// store is known to honour If-None-Match: * */

	/* outputs */
	CallStatus status;
	int result; /* pgls::ArchiveResult when status == Ok */
	bool quarantine_new;
	uint64_t bytes_written;
	uint64_t bytes_original;
	int level_used;     /* the level written with */
	bool level_clamped; /* level was above the algorithm's maximum */
	int swept;
	bool probe_ran;         /* out: the probe of If-None-Match ran and passed (cache it) */
	int err;                /* errno of an I/O failure, else 0 */
	bool store_unreachable; /* an object store did not answer (or answered 5xx) */
	char final_path[1024];
	char quarantine_path[1024];
	char message[512];
	char detail[512];
};

void run_archive_call(ArchiveCall *call) noexcept;

} // namespace pgls
