/*
 * interrupt.hpp -- letting long loops of the core be interrupted.
 *
 * The core lists folders, decodes files and removes files in loops that can run long on a large
 * or slow archive. Each such loop calls check_interrupts() once per entry or chunk. In the server
 * the hook runs CHECK_FOR_INTERRUPTS through pg_call(): a cancel or statement_timeout arrives as
 * a C++ exception (PgError) that unwinds the core code and is raised again as the PostgreSQL
 * error by the entry point's guard; a terminate ends the process. The CLI sets no hook.
 */
#pragma once

namespace pgls
{

using InterruptHook = void (*)();
using StopHook = bool (*)();

/* Sets the hook check_interrupts() calls (nullptr: none). */
void set_interrupt_hook(InterruptHook hook);

/* Calls the hook, if one is set; it may throw. */
void check_interrupts();

/*
 * A second hook for waits that are not interrupts in PostgreSQL's sense: the archiver's shutdown
 * request (its SIGTERM/SIGUSR2 handlers only set flags). A retry loop asks stop_requested()
 * between tries and gives up when it says true. Without a hook: false.
 */
void set_stop_hook(StopHook hook);
bool stop_requested();

} // namespace pgls
