/*
 * store_spec.cpp -- opening the store a location names (see the header).
 */
#include "pure.hpp"
#include "store_spec.hpp"

#include "fs_store.hpp"

namespace pgls
{

std::unique_ptr<Store>
open_store(const StoreSpec &spec)
{
	if (spec.location.empty())
		throw std::invalid_argument("the archive location is empty");
	return std::make_unique<FsStore>(spec.location, spec.writer, spec.modes);
}

} // namespace pgls
