/*
 * procs.hpp -- naming a process by its PGPROC number, and waking it (version wrappers).
 *
 *   PG15, PG16  PGPROC::pgprocno
 *   PG17+       MyProcNumber (storage/procnumber.h); PGPROC::pgprocno is gone
 */
#pragma once

namespace pgls
{

/* This process's index in ProcGlobal->allProcs. */
int my_proc_number(void);

/* Sets the latch of the process at that index (SetLatch never raises an ERROR). */
void set_proc_latch(int proc_number);

} // namespace pgls
