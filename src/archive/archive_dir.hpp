/*
 * archive_dir.hpp -- is pg_logship.archive_dir usable? (the archiver's check and health())
 */
#pragma once

#include <cstddef>

namespace pgls
{

/* false when the directory is set, exists and is writable; else true with a sentence in buf. */
bool archive_dir_problem(char *buf, size_t len);

} // namespace pgls
