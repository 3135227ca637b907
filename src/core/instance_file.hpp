/*
 * instance_file.hpp -- this host's name and machine id, and the instance id kept in the data
 * directory ($PGDATA/pg_logship/instance, see identity.hpp).
 */
#pragma once

#include "identity.hpp"

#include <cstdint>
#include <string>

namespace pgls
{

/* gethostname(); "localhost" if it fails. */
std::string local_host_name();

/* /etc/machine-id, else /var/lib/dbus/machine-id (32 hex digits); "" when neither is there. */
std::string local_machine_id();

constexpr std::string_view kInstanceFile = "pg_logship/instance";

struct InstanceInfo
{
	std::string instance_id;
	bool created = false; /* made by this call (none was there, or it could not be used) */
	std::string why_new;  /* when created over an existing file: why that one was not used */
};

/*
 * The instance id of the server whose data directory is data_directory (path: its instance file).
 * Keeps the id of a file made for this host and directory; otherwise (no file, a damaged one, or
 * one copied from elsewhere) makes a new random id and writes the file durably. Throws IoError.
 */
InstanceInfo load_or_create_instance(const std::string &path, const std::string &host,
									 const std::string &machine_id,
									 const std::string &data_directory, int64_t now);

} // namespace pgls
