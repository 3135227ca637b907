/*
 * archive_dir.cpp -- checking pg_logship.archive_dir.
 */
#include "pg/pg_headers.hpp"

#include "archive/archive_dir.hpp"
#include "settings.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace pgls
{

bool
archive_dir_problem(char *buf, size_t len)
{
	const char *dir = pgls_archive_dir;
	struct stat st;

	if (dir == nullptr || dir[0] == '\0')
		snprintf(buf, len, "pg_logship.archive_dir is not set");
	else if (strncmp(dir, "s3://", 5) == 0)
		return false; /* an object store: its first request says whether it can be used */
	else if (stat(dir, &st) != 0)
	{
		if (errno == ENOENT)
			snprintf(buf, len, "pg_logship.archive_dir \"%s\" does not exist", dir);
		else
			snprintf(buf, len, "pg_logship.archive_dir \"%s\" is not accessible: %s", dir,
					 strerror(errno));
	}
	else if (!S_ISDIR(st.st_mode))
		snprintf(buf, len, "pg_logship.archive_dir \"%s\" is not a directory", dir);
	else if (access(dir, W_OK | X_OK) != 0)
		snprintf(buf, len, "pg_logship.archive_dir \"%s\" is not writable: %s", dir,
				 strerror(errno));
	else
		return false;
	return true;
}

} // namespace pgls
