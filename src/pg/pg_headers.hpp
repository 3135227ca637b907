/*
 * pg_headers.hpp -- the PostgreSQL headers the glue uses, included with C linkage.
 *
 * Every PG-facing .cpp includes this first. Core files (src/core) must not (pure.hpp enforces it).
 */
#pragma once

extern "C"
{
#include "postgres.h"

#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "access/xlogrecovery.h"
#include "common/file_perm.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
}

#include "pg/compat.h"
