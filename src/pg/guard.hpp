/*
 * guard.hpp -- the one boundary between PostgreSQL's longjmp errors and C++ exceptions.
 *
 * Neither may cross the other: a longjmp over C++ frames skips destructors; an exception through
 * PG frames corrupts its error state. So:
 *
 *   - every entry point PostgreSQL calls (SQL function, hook, callback, worker main) runs its C++
 *     body through pgls::cpp_entry(), which catches every exception and re-raises it with
 *     ereport(ERROR) only after the C++ frames are gone;
 *   - every PG call from C++ code where C++ objects are live goes through pgls::pg_call(), which
 *     sets its own sigsetjmp, restores the memory context and error stacks, and throws PgError.
 *
 * PGLS_FUNCTION(name) declares an SQL-callable function whose body is `Datum name_impl(fcinfo)`.
 */
#pragma once

#include "pg/pg_headers.hpp"

#include <exception>
#include <stdexcept>
#include <type_traits>

namespace pgls
{

/* A PostgreSQL ERROR caught by pg_call, carrying its ErrorData (palloc'd). */
class PgError : public std::exception
{
public:
	explicit PgError(ErrorData *edata) : edata_(edata) {}
	const char *
	what() const noexcept override
	{
		return edata_ && edata_->message ? edata_->message : "PostgreSQL error";
	}
	ErrorData *
	edata() const
	{
		return edata_;
	}

private:
	ErrorData *edata_;
};

/* Copies what a caught exception says into buf; returns the ErrorData of a PgError or nullptr. */
ErrorData *exception_to_buffer(std::exception_ptr ep, char *buf, size_t len);

/* Raises what exception_to_buffer() captured as a PostgreSQL ERROR. */
[[noreturn]] void rethrow_as_pg_error(ErrorData *edata, const char *message);

template <typename F>
auto
cpp_entry(F &&body) -> decltype(body())
{
	char message[1024];
	ErrorData *edata = nullptr;
	try
	{
		return body();
	}
	catch (...)
	{
		edata = exception_to_buffer(std::current_exception(), message, sizeof message);
	}
	/* The exception object and every C++ frame of body are gone here. */
	rethrow_as_pg_error(edata, message);
}

/*
 * Calls fn (a lambda that only calls PostgreSQL and holds no C++ object with a destructor) and
 * turns a PostgreSQL ERROR into PgError.
 */
template <typename F>
auto
pg_call(F &&fn) -> decltype(fn())
{
	MemoryContext volatile ctx = CurrentMemoryContext;
	ErrorContextCallback *volatile context_stack = error_context_stack;
	sigjmp_buf *volatile saved = PG_exception_stack;
	sigjmp_buf local;

	if (sigsetjmp(local, 0) == 0)
	{
		PG_exception_stack = &local;
		if constexpr (std::is_void_v<decltype(fn())>)
		{
			fn();
			PG_exception_stack = saved;
			return;
		}
		else
		{
			auto result = fn();
			PG_exception_stack = saved;
			return result;
		}
	}
	PG_exception_stack = saved;
	error_context_stack = context_stack;
	MemoryContextSwitchTo(ctx);
	ErrorData *edata = CopyErrorData();
	FlushErrorState();
	throw PgError(edata);
}

} // namespace pgls

/*
 * Declares an SQL-callable function `name` whose C++ body is
 *   static Datum name_impl(FunctionCallInfo fcinfo);
 */
#define PGLS_FUNCTION(name)                                                                        \
	static Datum name##_impl(FunctionCallInfo fcinfo);                                             \
	extern "C"                                                                                     \
	{                                                                                              \
		PG_FUNCTION_INFO_V1(name);                                                                 \
		Datum                                                                                      \
		name(PG_FUNCTION_ARGS)                                                                     \
		{                                                                                          \
			return pgls::cpp_entry([&]() { return name##_impl(fcinfo); });                         \
		}                                                                                          \
	}
