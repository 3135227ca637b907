/*
 * store_spec.hpp -- which store an archive location names, and opening it.
 *
 * A location is an absolute directory ("/var/lib/wal_archive": FsStore) or, with the S3 store,
 * "s3://bucket/prefix". A StoreSpec is plain data, so that a process (a prefetcher, an archive
 * worker) can open its own store from it.
 */
#pragma once

#include "store.hpp"

#include <memory>
#include <string>

namespace pgls
{

struct StoreSpec
{
	std::string location;
	StoreWriter writer;
	FileModes modes;
};

/* Opens the store of spec.location. Throws std::invalid_argument for a location it cannot
 * use. */
std::unique_ptr<Store> open_store(const StoreSpec &spec);

} // namespace pgls
