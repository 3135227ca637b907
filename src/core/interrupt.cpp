/*
 * interrupt.cpp -- the interrupt hook of the core (see the header).
 */
#include "pure.hpp"
#include "interrupt.hpp"

namespace pgls
{

namespace
{
InterruptHook hook = nullptr;
StopHook stop_hook = nullptr;
} // namespace

void
set_interrupt_hook(InterruptHook h)
{
	hook = h;
}

void
check_interrupts()
{
	if (hook != nullptr)
		hook();
}

void
set_stop_hook(StopHook h)
{
	stop_hook = h;
}

bool
stop_requested()
{
	return stop_hook != nullptr && stop_hook();
}

} // namespace pgls
