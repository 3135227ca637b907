/*
 * procs.cpp -- PGPROC numbering across versions (see procs.hpp).
 */
#include "pg/procs.hpp"

#include "pg/pg_headers.hpp"

extern "C"
{
#include "storage/latch.h"
#include "storage/proc.h"
}

namespace pgls
{

int
my_proc_number(void)
{
#if PG_VERSION_NUM >= 170000
	return MyProcNumber;
#else
	return MyProc->pgprocno;
#endif
}

void
set_proc_latch(int proc_number)
{
	SetLatch(&GetPGProcByNumber(proc_number)->procLatch);
}

} // namespace pgls
