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

} // namespace pgls
