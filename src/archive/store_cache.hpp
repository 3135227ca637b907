/*
 * store_cache.hpp -- the store a process archives into, kept open across archive calls.
 *
 * An object store's client keeps its HTTP connections alive between requests; opening a new
 * store for every file would pay a TCP (and TLS) handshake per file. So each process (the
 * archiver, each archive worker) keeps the store of the spec it last used, and opens a new one
 * when the spec changes (a reload of pg_logship.archive_dir or pg_logship.s3_*). PG-free.
 */
#pragma once

#include "core/store_spec.hpp"

namespace pgls
{

/* The open store of spec (opened now if the spec differs from the last call's). Throws what
 * open_store() throws. */
Store &archive_store(const StoreSpec &spec);

/* Whether the store of spec answers (object storage: a one-try listing with short timeouts, on
 * a store of its own, kept open like archive_store's). Never throws: any failure is false. */
bool store_reachable(const StoreSpec &spec) noexcept;

/* Whether an exception of an archive attempt means the object store could not be reached (no
 * answer, or a 5xx): a fault that the archiver watch can see clear. */
bool store_unreachable_error(const std::exception &e) noexcept;

/*
 * An object store must refuse to overwrite: before anything is written into an s3:// location
 * (a claim, an archived file), a probe checks that a second conditional PUT of a key is refused.
 * Does nothing for a filesystem. Throws IoError naming the location when the store does not
 * honour If-None-Match: *, and what the store throws when it cannot be reached. who: for the
 * probe key's name.
 */
void probe_store(Store &store, const std::string &who);

/* What an S3 error means for the settings: a sentence naming the setting to look at (the
 * bucket in pg_logship.archive_dir, pg_logship.s3_credentials_file, pg_logship.s3_endpoint), or
 * "" when it names none. A static string: safe in a catch handler (no allocation). */
const char *s3_error_hint(const std::exception &e) noexcept;

} // namespace pgls
