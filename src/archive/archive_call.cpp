/*
 * archive_call.cpp -- runs the core archive protocol for the callback, catching everything.
 *
 * PostgreSQL-free on purpose: nothing here can longjmp. Nothing here can throw out of
 * run_archive_call() either: every C++ object is made inside its try block, and the catch
 * handlers only copy into the call's fixed buffers (no allocation, so no bad_alloc).
 */
#include "core/pure.hpp"
#include "archive/archive_call.hpp"

#include "core/archive_writer.hpp"
#include "core/fileio.hpp"
#include "archive/store_cache.hpp"
#include "core/fs_store.hpp"

#include <cstring>
#include <ctime>

namespace pgls
{

namespace
{

constexpr long kTempMaxAgeSeconds = 24 * 3600;

/* Copies text into a fixed buffer. Takes a const char *, never a std::string: it is called in
 * catch handlers, where a temporary string could throw bad_alloc out of a noexcept function. */
void
copy_text(char *dst, size_t len, const char *src) noexcept
{
	std::strncpy(dst, src != nullptr ? src : "", len - 1);
	dst[len - 1] = '\0';
}

void
run(ArchiveCall *call)
{
	ArchiveRequest req;
	req.layout.root = call->root;
	req.layout.layout = static_cast<Layout>(call->layout);
	req.layout.server = call->server;
	req.file = call->file;
	req.src_path = call->path;
	if (valid_instance_id(call->instance))
		req.instance = call->instance;
	req.pid = call->pid;
	req.sysid = call->sysid;
	req.seg_size = call->seg_size;
	req.compression = static_cast<Compression>(call->compression);
	req.level = effective_compression_level(req.compression, call->level, &call->level_clamped);
	call->level_used = req.level;

	if (call->sweep)
	{
		std::time_t now = std::time(nullptr);
		for (const std::string &dir :
			 {req.layout.wal_dir(), req.layout.quarantine_dir(), req.layout.root + "/claims"})
			call->swept += static_cast<int>(sweep_temp_files(dir, req.instance, call->pid,
															 pid_is_alive, now, kTempMaxAgeSeconds)
												.size());
	}

	StoreSpec spec;
	spec.location = req.layout.root;
	spec.writer = StoreWriter{req.layout.server, req.pid, req.instance};
	spec.modes =
		FileModes{call->file_mode ? call->file_mode : 0600, call->dir_mode ? call->dir_mode : 0700};
	spec.s3 = s3_settings_from(call->s3);
	Store &store = archive_store(spec);
	if (!store.local() && !call->probe_ok)
	{
		probe_store(store, std::string(call->server) + "-" + std::to_string(call->pid));
		call->probe_ran = true;
	}
	ArchiveOutcome out = archive_file(store, req);
	call->status = CallStatus::Ok;
	call->result = static_cast<int>(out.result);
	call->quarantine_new = out.quarantine_new;
	call->bytes_written = out.bytes_written;
	call->bytes_original = out.bytes_original;
	copy_text(call->final_path, sizeof call->final_path, out.final_path.c_str());
	copy_text(call->quarantine_path, sizeof call->quarantine_path, out.quarantine_path.c_str());
}

} // namespace

void
run_archive_call(ArchiveCall *call) noexcept
{
	call->status = CallStatus::Failed;
	call->err = 0;
	call->swept = 0;
	call->level_clamped = false;
	call->level_used = 0;
	call->probe_ran = false;
	call->store_unreachable = false;
	call->message[0] = call->detail[0] = '\0';
	try
	{
		run(call);
	}
	catch (const ArchiveRefused &e)
	{
		call->status = CallStatus::Refused;
		copy_text(call->message, sizeof call->message, e.what());
		copy_text(call->detail, sizeof call->detail, e.detail().c_str());
	}
	catch (const ArchivedCopyDamaged &e)
	{
		call->status = CallStatus::Damaged;
		copy_text(call->message, sizeof call->message, e.what());
		copy_text(call->detail, sizeof call->detail, e.path().c_str());
	}
	catch (const IoError &e)
	{
		call->err = e.error_number();
		copy_text(call->message, sizeof call->message, e.what());
	}
	catch (const std::exception &e)
	{
		copy_text(call->message, sizeof call->message, e.what());
		copy_text(call->detail, sizeof call->detail, s3_error_hint(e));
		call->store_unreachable = store_unreachable_error(e);
	}
	catch (...)
	{
		copy_text(call->message, sizeof call->message, "unknown error");
	}
}

} // namespace pgls
