/*
 * Vireo's SDEI snapshot guest: the conformance guest's helpers and handler (sdei-guest.c, included
 * below) with a main of its own that has the VMM snapshot it and restore it into a new process
 * while its SDEI state is at its most delicate, and checks that everything continues (issue 16,
 * seed 003: the dispatcher's state travels as pseudo-registers in the register list):
 *
 *   1. events registered and enabled, the PE masked, an event pending: restored, the event is
 *      still held back, and unmasking delivers it exactly once;
 *   2. a critical handler running, interrupting the marked wait loop: restored inside the
 *      handler, its STATUS still says running, EVENT_CONTEXT still has the interrupted
 *      registers, and after COMPLETE the interrupted code resumes;
 *   3. vCPU 1 (started with PSCI CPU_ON before both snapshots) still takes its events.
 *
 * Besides the conformance guest's lines it prints
 *
 *   SDEI-SNAPSHOT !   the host is asked to pause, snapshot, stop this VMM and restore the
 *                     snapshot in a new one, then send one byte to the console
 *
 * and waits (bounded) for that byte on the UART: only the restored VMM sends it, so every check
 * after it ran in the new process.
 */

#define SDEI_SNAPSHOT_GUEST 1
#include "sdei-guest.c"

#define RESTORED_BYTE 'r'

static volatile u64 in_handler_byte, in_handler_status, in_handler_context, in_handler_done;

/* The next byte from the UART within ticks, or -1. */
static s64 get_byte(u64 ticks)
{
	u64 end = now() + ticks;
	while (!(UART[5] & 0x01)) {
		if (now() >= end)
			return -1;
	}
	return UART[0];
}

static s64 snapshot_here(void)
{
	/* IER.ERBFI: Vireo's console hands a UART host input once its driver enabled the receive
	 * interrupt, as Linux's does when the tty opens. DAIF stays masked, so the raised line is
	 * never taken; this guest polls LSR. */
	UART[1] = 0x01;
	put_str("SDEI-SNAPSHOT !\n");
	return get_byte(ms(HOST_MS));
}

/* MODE_SNAPSHOT's handler body: the snapshot is taken while this handler runs. */
void snapshot_in_handler(u64 event)
{
	in_handler_byte = (u64)snapshot_here();
	in_handler_status = call1(SDEI_EVENT_STATUS, event);
	u64 result = 0;
	for (u64 r = 9; r <= 17; r++) {
		if (call1(SDEI_EVENT_CONTEXT, r) == WAIT_MARK + r)
			result |= 1UL << r;
	}
	in_handler_context = result;
	in_handler_done = 1;
}

static void masked_and_pending(void)
{
	check("REGISTER event 100", reg(EV_PRIVATE, arg_of(0, EV_PRIVATE), 0, 0), SUCCESS);
	check("ENABLE event 100", call1(SDEI_EVENT_ENABLE, EV_PRIVATE), SUCCESS);
	check("the PE starts masked", call0(SDEI_PE_MASK), 0);

	ask_host(EV_PRIVATE, "0");
	pause_ms(2000);
	check("the host's event 100 is held back while masked", cpus[0].done[1], 0);
	u64 before = now();

	check("restored: the byte came from the new VMM", (u64)snapshot_here(), RESTORED_BYTE);
	check("restored: the virtual counter went on from the snapshot's", now() >= before, 1);
	check("restored: event 100 still held back", cpus[0].done[1], 0);
	check("restored: event 100 registered and enabled", call1(SDEI_EVENT_STATUS, EV_PRIVATE), STATUS_REGISTERED | STATUS_ENABLED);
	check("restored: the PE is still masked", call0(SDEI_PE_MASK), 0);
	check("PE_UNMASK", call0(SDEI_PE_UNMASK), SUCCESS);
	check("the pending event 100 is delivered on unmask", (u64)wait_count(&cpus[0].done[1], 1, ms(30000)), 1);
	check("with its registered argument", last_entry(0)->arg, arg_of(0, EV_PRIVATE));
	pause_ms(50);
	check("delivered once", cpus[0].done[1], 1);
}

static void running_handler(void)
{
	check("REGISTER event 101", reg(EV_PRIVATE_CRITICAL, arg_of(0, EV_PRIVATE_CRITICAL), 0, 0), SUCCESS);
	check("ENABLE event 101", call1(SDEI_EVENT_ENABLE, EV_PRIVATE_CRITICAL), SUCCESS);
	cpus[0].mode = MODE_SNAPSHOT;
	ask_host(EV_PRIVATE_CRITICAL, "0");
	/* The handler interrupts this loop, and is snapshotted and restored while it runs. */
	check("the interrupted loop resumed after the restored handler completed", (u64)wait_marked(&in_handler_done, ms(3 * HOST_MS)), 1);
	cpus[0].mode = MODE_RECORD;
	check("in the handler: the byte came from the new VMM", in_handler_byte, RESTORED_BYTE);
	check("in the handler, restored: STATUS running", in_handler_status, STATUS_REGISTERED | STATUS_ENABLED | STATUS_RUNNING);
	check("in the handler, restored: CONTEXT x9-x17 as interrupted", in_handler_context, 0x3fe00);
	check("the handler ran once", cpus[0].done[2], 1);
	check("STATUS after completion", call1(SDEI_EVENT_STATUS, EV_PRIVATE_CRITICAL), STATUS_REGISTERED | STATUS_ENABLED);
	check("the handler was entered interrupting the loop", in_wait_loop(last_entry(0)->pc), 1);
}

static void second_vcpu(void)
{
	ask_host(EV_PRIVATE, "1");
	check("vCPU 1 took a host event after the restores", (u64)wait_count(&cpus[1].done[1], 1, ms(HOST_MS)), 1);
	check("with vCPU 1's argument", last_entry(1)->arg, arg_of(1, EV_PRIVATE));
	check("EVENT_SIGNAL to vCPU 1", call(SDEI_EVENT_SIGNAL, EV_SIGNAL, mpidr_of(1), 0, 0, 0), SUCCESS);
	check("vCPU 1 handled the signal", (u64)wait_count(&cpus[1].done[0], 1, ms(30000)), 1);
}

void guest_main(void)
{
	u64 freq;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	ticks_per_ms = freq / 1000 ? freq / 1000 : 1;
	put_str("SDEI-GUEST start\n");

	start_secondary();
	masked_and_pending();
	running_handler();
	second_vcpu();

	finish();
}
