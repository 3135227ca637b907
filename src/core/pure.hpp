/*
 * pure.hpp -- included first by every file of the PostgreSQL-free core.
 *
 * The core (file names, layouts, the durable writer, verification) is linked both into the server
 * module and into the command-line tool, and is unit-tested without a server. It must not see
 * PostgreSQL's headers: they redefine things (e.g. gettext, printf) and their functions may
 * longjmp.
 */
#pragma once

#ifdef POSTGRES_H
#error "src/core is PostgreSQL-free: do not include postgres.h before a core file"
#endif
#define PGLS_CORE_PURE 1
