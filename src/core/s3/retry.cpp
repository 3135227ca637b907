/*
 * retry.cpp -- backoff with full jitter, tries and a deadline (see retry.hpp).
 */
#include "../pure.hpp"
#include "retry.hpp"

#include "error.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <random>
#include <thread>

namespace pgls::s3
{

namespace
{

std::string
seconds(int64_t ms)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%.1f s", static_cast<double>(ms) / 1000.0);
	return buf;
}

bool
stop_requested(const RetryPolicy &policy)
{
	return policy.should_stop && policy.should_stop();
}

} // namespace

long
backoff_cap_ms(const RetryPolicy &policy, int failed_tries)
{
	long cap = std::max(0L, policy.base_delay_ms);
	for (int i = 1; i < failed_tries && cap < policy.max_delay_ms; i++)
		cap *= 2;
	return std::min(cap, std::max(0L, policy.max_delay_ms));
}

long
backoff_delay_ms(const RetryPolicy &policy, int failed_tries, double r)
{
	long cap = backoff_cap_ms(policy, failed_tries);
	long d = static_cast<long>(r * static_cast<double>(cap + 1));
	return std::clamp(d, 0L, cap);
}

RetryEnv
RetryEnv::real()
{
	RetryEnv env;
	env.now_ms = []
	{
		return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
										std::chrono::steady_clock::now().time_since_epoch())
										.count());
	};
	env.sleep_ms = [](long ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); };
	env.random01 = []
	{
		thread_local std::mt19937_64 gen{std::random_device{}()};
		return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
	};
	return env;
}

int
run_with_retries(const RetryPolicy &policy, const std::string &what,
				 const std::function<void(long)> &attempt, const RetryEnv &env)
{
	const int64_t start = env.now_ms();
	const bool has_deadline = policy.deadline_ms > 0;
	const int64_t deadline = start + policy.deadline_ms;
	const int max_attempts = std::max(1, policy.max_attempts);
	auto stopped = [&](int tries, const std::string &last)
	{
		std::string msg = what + " stopped";
		if (tries > 0)
			msg += " after " + std::to_string(tries) + (tries == 1 ? " attempt" : " attempts") +
				   " in " + seconds(env.now_ms() - start) + "; last: " + last;
		return Error(msg, Failure::Stopped, 0, "", false);
	};

	std::string last_what;
	for (int tries = 0;;)
	{
		if (stop_requested(policy))
			throw stopped(tries, last_what);
		long cap = LONG_MAX;
		if (has_deadline)
			cap = static_cast<long>(std::max<int64_t>(1, deadline - env.now_ms()));
		try
		{
			tries++;
			attempt(cap);
			return tries;
		}
		catch (const Error &e)
		{
			if (!e.retryable())
				throw;
			last_what = e.what();
			auto give_up = [&]()
			{
				if (tries == 1)
					return Error(e);
				return Error(last_what + " (gave up after " + std::to_string(tries) +
								 " attempts in " + seconds(env.now_ms() - start) + ")",
							 e.failure(), e.http_status(), e.code(), true);
			};
			if (tries >= max_attempts)
				throw give_up();
			long delay = backoff_delay_ms(policy, tries, env.random01());
			if (has_deadline && env.now_ms() + delay >= deadline)
				throw give_up();
			/* Wait in slices, asking should_stop between them. */
			const int64_t until = env.now_ms() + delay;
			for (int64_t now = env.now_ms(); now < until; now = env.now_ms())
			{
				if (stop_requested(policy))
					throw stopped(tries, last_what);
				env.sleep_ms(static_cast<long>(std::min<int64_t>(50, until - now)));
			}
		}
	}
}

} // namespace pgls::s3
