/*
 * retry.hpp -- trying a request again: exponential backoff with full jitter, bounded by a
 * number of tries and an overall deadline, stoppable from outside.
 *
 * After the n-th failed try the client waits a random time, uniform in
 * [0, min(max_delay_ms, base_delay_ms * 2^(n-1))] ("full jitter": many writers that failed
 * together do not come back together), then tries again. It gives up, throwing the last
 * error, when the error is not retryable, after max_attempts tries, or when the wait would end
 * past the deadline. Each try's own timeout is capped by what is left of the deadline, so a
 * call never outlives deadline_ms by more than the connect/teardown slack. should_stop is
 * called before each try, every 50 ms while waiting, and about every second during a transfer
 * (libcurl's progress callback); when it returns true the call throws Error with
 * Failure::Stopped. It may also throw (the server's interrupt hook does): that exception
 * propagates unchanged, after libcurl has unwound.
 */
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace pgls::s3
{

struct RetryPolicy
{
	int max_attempts = 4;              /* tries per request, the first included (>= 1) */
	long base_delay_ms = 100;          /* the first wait is up to this */
	long max_delay_ms = 2000;          /* no wait is longer */
	long deadline_ms = 15000;          /* bound on the whole call, waits and tries; <= 0: none */
	std::function<bool()> should_stop; /* true: give up now (empty: never) */
};

/* The upper bound of the wait after failed_tries (>= 1) failures. */
long backoff_cap_ms(const RetryPolicy &policy, int failed_tries);

/* The wait after failed_tries failures for a random number r in [0, 1). */
long backoff_delay_ms(const RetryPolicy &policy, int failed_tries, double r);

/* Time, sleep and randomness, replaceable in unit tests. */
struct RetryEnv
{
	std::function<int64_t()> now_ms; /* monotonic */
	std::function<void(long)> sleep_ms;
	std::function<double()> random01; /* uniform in [0, 1) */
	static RetryEnv real();
};

/* Calls attempt(time_cap_ms) until it returns without throwing. time_cap_ms is what is left of
 * the deadline (a huge value without one): the try's timeout must not exceed it. attempt throws
 * Error; a retryable one is tried again as described above. what names the call for the errors
 * this makes itself ("S3 PutObject of s3://bucket/key"). The Error finally thrown is the last
 * try's, with " (gave up after N attempts in S s)" appended when there was more than one, or a
 * Stopped or Timeout error that quotes it. Returns the number of tries it took. */
int run_with_retries(const RetryPolicy &policy, const std::string &what,
					 const std::function<void(long time_cap_ms)> &attempt,
					 const RetryEnv &env = RetryEnv::real());

} // namespace pgls::s3
