/*
 * Vireo's SDEI conformance guest: a bare-metal arm64 program (no kernel, MMU off) that drives
 * the SDEI 1.1 dispatcher (Arm DEN0054) of the VMM it runs under through HVC, on two vCPUs,
 * and prints one line per check and a summary:
 *
 *   SDEI-CHECK ok <name>
 *   SDEI-CHECK FAIL <name>: got 0x.. want 0x..
 *   SDEI-SIGNAL <event> <cpu>|all|shared !   the host is asked to signal an event
 *   SDEI-CONFORMANCE passed=N failed=M of T  then PSCI SYSTEM_OFF
 *
 * It needs Vireo's static event table: 0 (private normal, signalable), 100 (private normal),
 * 101 (private critical), 200 (shared normal), 201 (shared critical), and the UART's SPI
 * (INTID 33) offered to INTERRUPT_BIND. Host signals are asked
 * for with SDEI-SIGNAL lines; whoever runs the guest answers each with
 * `vireo remote sdei-signal EVENT [--cpu N]`, in order. Every wait for the host is bounded.
 */

typedef unsigned long u64;
typedef long s64;

#define SDEI_VERSION                 0xC4000020UL
#define SDEI_EVENT_REGISTER          0xC4000021UL
#define SDEI_EVENT_ENABLE            0xC4000022UL
#define SDEI_EVENT_DISABLE           0xC4000023UL
#define SDEI_EVENT_CONTEXT           0xC4000024UL
#define SDEI_EVENT_COMPLETE          0xC4000025UL
#define SDEI_EVENT_COMPLETE_RESUME   0xC4000026UL
#define SDEI_EVENT_UNREGISTER        0xC4000027UL
#define SDEI_EVENT_STATUS            0xC4000028UL
#define SDEI_EVENT_GET_INFO          0xC4000029UL
#define SDEI_EVENT_ROUTING_SET       0xC400002AUL
#define SDEI_PE_MASK                 0xC400002BUL
#define SDEI_PE_UNMASK               0xC400002CUL
#define SDEI_INTERRUPT_BIND          0xC400002DUL
#define SDEI_INTERRUPT_RELEASE       0xC400002EUL
#define SDEI_EVENT_SIGNAL            0xC400002FUL
#define SDEI_FEATURES                0xC4000030UL
#define SDEI_PRIVATE_RESET           0xC4000031UL
#define SDEI_SHARED_RESET            0xC4000032UL
#define SDEI_UNKNOWN_FUNCTION        0xC400003FUL
#define PSCI_CPU_ON                  0xC4000003UL

#define SUCCESS            0
#define NOT_SUPPORTED      ((u64)-1)
#define INVALID_PARAMETERS ((u64)-2)
#define DENIED             ((u64)-3)
#define PENDING            ((u64)-5)

#define INFO_TYPE      0
#define INFO_SIGNALED  1
#define INFO_PRIORITY  2
#define INFO_ROUTING   3
#define INFO_AFFINITY  4

#define STATUS_REGISTERED 1
#define STATUS_ENABLED    2
#define STATUS_RUNNING    4

#define RM_ANY 0
#define RM_PE  1

#define EV_SIGNAL           0
#define EV_PRIVATE          100
#define EV_PRIVATE_CRITICAL 101
#define EV_SHARED           200
#define EV_SHARED_CRITICAL  201
/* INTERRUPT_BIND turns INTID n into event 0x4000_0000 + n; the UART's SPI is INTID 33. */
#define UART_INTID          33
#define EV_BOUND_UART       (0x40000000UL + UART_INTID)
#define SLOTS 6

#define WAIT_MARK 0x5d00UL
#define CPUS 2
#define LOG_ENTRIES 64

/* The handler's behaviour, per vCPU, chosen by the phase that runs. */
enum mode {
	MODE_RECORD,
	MODE_CONTEXT,
	MODE_PREEMPT,
	MODE_BLOCK,
	MODE_RESUME,
	MODE_BAD_RESUME,
	MODE_UNREGISTER,
	MODE_PRIVATE_RESET,
	MODE_SHARED_RESET,
	MODE_UART,
	MODE_SNAPSHOT,
};

struct entry {
	u64 event, arg, pc, pstate, depth, daif, status, context0;
};

struct cpu {
	volatile u64 ready;
	volatile u64 mode;
	volatile u64 depth;
	volatile u64 entries;
	struct entry log[LOG_ENTRIES];
	volatile u64 done[SLOTS];
};

/* Defined in start.S. */
extern char sdei_entry[], sdei_resume[], secondary_entry[], wait_loop[], wait_loop_end[];
int wait_marked(volatile u64 *flag, u64 ticks);
void system_off(void) __attribute__((noreturn));

/* Written by sdei_resume in start.S. */
volatile u64 resume_count, resume_elr, resume_spsr;
static struct cpu cpus[CPUS];
static u64 ticks_per_ms;
static int passed, failed;

/* Results the handlers leave for the phases to check. */
static volatile u64 context_flag, context_result, context_x0;
static volatile u64 normal_running, critical_seen, critical_saw_normal, critical_depth, critical_status;
static volatile u64 critical_pc, preempt_wait;
static volatile u64 critical_running, block_signal, block_held, signal_during_critical;
static volatile u64 bad_resume, unregister_first, unregister_again, unregister_status, reset_result;
static volatile u64 uart_iir;

void *memset(void *d, int c, unsigned long n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

/* ---- console: the machine's 16550 at 0x0900_0000, byte registers ---- */

#define UART ((volatile unsigned char *)0x09000000UL)

static void put_char(char c)
{
	while (!(UART[5] & 0x20))
		;
	UART[0] = (unsigned char)c;
}

static void put_str(const char *s)
{
	while (*s)
		put_char(*s++);
}

static void put_hex(u64 v)
{
	put_str("0x");
	for (int shift = 60; shift >= 0; shift -= 4) {
		unsigned d = (v >> shift) & 0xf;
		if (d || shift == 0 || (v >> shift) != 0)
			put_char((char)(d < 10 ? '0' + d : 'a' + d - 10));
	}
}

static void put_dec(u64 v)
{
	char buf[21];
	int i = 20;
	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put_str(&buf[i]);
}

/* ---- SMCCC over HVC ---- */

struct res {
	u64 x0, x1, x2, x3;
};

static struct res hvc(u64 fn, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	register u64 x0 __asm__("x0") = fn;
	register u64 x1 __asm__("x1") = a1;
	register u64 x2 __asm__("x2") = a2;
	register u64 x3 __asm__("x3") = a3;
	register u64 x4 __asm__("x4") = a4;
	register u64 x5 __asm__("x5") = a5;
	__asm__ volatile("hvc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5)
			 :
			 : "memory", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17");
	return (struct res){ x0, x1, x2, x3 };
}

static u64 call(u64 fn, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	return hvc(fn, a1, a2, a3, a4, a5).x0;
}

static u64 call1(u64 fn, u64 a1)
{
	return call(fn, a1, 0, 0, 0, 0);
}

static u64 call0(u64 fn)
{
	return call(fn, 0, 0, 0, 0, 0);
}

/* ---- the vCPU, time ---- */

static int this_cpu(void)
{
	u64 mpidr;
	__asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
	return (int)(mpidr & 0xff);
}

/* KVM's default MPIDR affinity of vCPU n is Aff0 = n (for fewer than 16 vCPUs). */
static u64 mpidr_of(int cpu)
{
	return (u64)cpu;
}

static u64 now(void)
{
	u64 t;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(t));
	return t;
}

static u64 ms(u64 n)
{
	return n * ticks_per_ms;
}

/* Spin until *counter reaches want or ticks pass; true when it did. */
static int wait_count(volatile u64 *counter, u64 want, u64 ticks)
{
	u64 end = now() + ticks;
	while (*counter < want) {
		if (now() >= end)
			return 0;
	}
	return 1;
}

static void pause_ms(u64 n)
{
	u64 end = now() + ms(n);
	while (now() < end)
		;
}

/* ---- checks ---- */

static void check(const char *name, u64 got, u64 want)
{
	if (got == want) {
		passed++;
		put_str("SDEI-CHECK ok ");
		put_str(name);
		put_char('\n');
		return;
	}
	failed++;
	put_str("SDEI-CHECK FAIL ");
	put_str(name);
	put_str(": got ");
	put_hex(got);
	put_str(" want ");
	put_hex(want);
	put_char('\n');
}

static void ask_host(u64 event, const char *target)
{
	put_str("SDEI-SIGNAL ");
	put_dec(event);
	put_char(' ');
	put_str(target);
	/* The closing mark tells a reader polling the console that the line is whole. */
	put_str(" !\n");
}

/* How long the host gets to answer one SDEI-SIGNAL line: the nested lab is slow. */
#define HOST_MS 180000

static int slot_of(u64 event)
{
	switch (event) {
	case EV_SIGNAL: return 0;
	case EV_PRIVATE: return 1;
	case EV_PRIVATE_CRITICAL: return 2;
	case EV_SHARED: return 3;
	case EV_SHARED_CRITICAL: return 4;
	case EV_BOUND_UART: return 5;
	default: return -1;
	}
}

static u64 reg(u64 event, u64 arg, u64 flags, u64 affinity)
{
	return call(SDEI_EVENT_REGISTER, event, (u64)sdei_entry, arg, flags, affinity);
}

/* The argument each registration carries: the registering vCPU and the event. */
static u64 arg_of(int cpu, u64 event)
{
	return ((u64)cpu << 16) | event;
}

static u64 in_wait_loop(u64 pc)
{
	return pc >= (u64)wait_loop && pc < (u64)wait_loop_end;
}

/* ---- the handler (entered from sdei_entry in start.S) ---- */

void sdei_complete_returned(void)
{
	put_str("SDEI-FATAL EVENT_COMPLETE returned to the handler\n");
	system_off();
}

void fatal_exception(u64 vector, u64 esr, u64 elr, u64 far)
{
	put_str("SDEI-FATAL exception vector ");
	put_dec(vector);
	put_str(" esr ");
	put_hex(esr);
	put_str(" elr ");
	put_hex(elr);
	put_str(" far ");
	put_hex(far);
	put_char('\n');
	system_off();
}

#ifdef SDEI_SNAPSHOT_GUEST
void snapshot_in_handler(u64 event);
#endif

/* Returns 0 to complete, or the address to complete and resume at. */
u64 sdei_handler(u64 event, u64 arg, u64 pc, u64 pstate)
{
	struct cpu *self = &cpus[this_cpu()];
	u64 depth = ++self->depth;
	u64 resume = 0;
	u64 daif;
	__asm__ volatile("mrs %0, daif" : "=r"(daif));

	u64 n = self->entries;
	if (n < LOG_ENTRIES) {
		struct entry *e = &self->log[n];
		e->event = event;
		e->arg = arg;
		e->pc = pc;
		e->pstate = pstate;
		e->depth = depth;
		e->daif = daif;
		e->status = call1(SDEI_EVENT_STATUS, event);
		e->context0 = call1(SDEI_EVENT_CONTEXT, 0);
		self->entries = n + 1;
	}

	switch (self->mode) {
	case MODE_CONTEXT: {
		/* Interrupted in wait_marked: x0 the flag, x9-x17 the marks, PC in the loop. */
		u64 result = 0;
		for (u64 r = 9; r <= 17; r++) {
			if (call1(SDEI_EVENT_CONTEXT, r) == WAIT_MARK + r)
				result |= 1UL << r;
		}
		if (in_wait_loop(pc))
			result |= 1;
		if (call1(SDEI_EVENT_CONTEXT, 18) == INVALID_PARAMETERS)
			result |= 2;
		context_x0 = call1(SDEI_EVENT_CONTEXT, 0);
		context_result = result;
		context_flag = 1;
		break;
	}
	case MODE_PREEMPT:
		if (event == EV_PRIVATE) {
			normal_running = 1;
			ask_host(EV_PRIVATE_CRITICAL, "0");
			preempt_wait = (u64)wait_marked(&critical_seen, ms(HOST_MS));
			normal_running = 0;
		} else if (event == EV_PRIVATE_CRITICAL) {
			critical_saw_normal = normal_running;
			critical_depth = depth;
			critical_status = call1(SDEI_EVENT_STATUS, EV_PRIVATE);
			critical_pc = in_wait_loop(pc);
			critical_seen = 1;
		}
		break;
	case MODE_BLOCK:
		if (event == EV_PRIVATE_CRITICAL) {
			critical_running = 1;
			u64 before = self->done[0];
			block_signal = call(SDEI_EVENT_SIGNAL, EV_SIGNAL, mpidr_of(this_cpu()), 0, 0, 0);
			pause_ms(50);
			block_held = self->done[0] == before;
			critical_running = 0;
		} else if (event == EV_SIGNAL) {
			signal_during_critical = critical_running;
		}
		break;
	case MODE_RESUME:
		resume = (u64)sdei_resume;
		break;
	case MODE_BAD_RESUME:
		/* A misaligned resume address is refused and the handler keeps running. */
		bad_resume = call1(SDEI_EVENT_COMPLETE_RESUME, (u64)sdei_resume + 2);
		break;
	case MODE_UNREGISTER:
		unregister_first = call1(SDEI_EVENT_UNREGISTER, event);
		unregister_status = call1(SDEI_EVENT_STATUS, event);
		unregister_again = call1(SDEI_EVENT_UNREGISTER, event);
		break;
	case MODE_PRIVATE_RESET:
		reset_result = call0(SDEI_PRIVATE_RESET);
		break;
	case MODE_SHARED_RESET:
		reset_result = call0(SDEI_SHARED_RESET);
		break;
	case MODE_UART:
		/* Acknowledge as a driver would: read IIR (which clears THRE), then mask the source. */
		if (event == EV_BOUND_UART) {
			uart_iir = UART[2];
			UART[1] = 0;
		}
		break;
#ifdef SDEI_SNAPSHOT_GUEST
	case MODE_SNAPSHOT:
		/* The snapshot guest (sdei-snapshot.c) is snapshotted and restored inside this handler. */
		snapshot_in_handler(event);
		break;
#endif
	default:
		break;
	}

	int slot = slot_of(event);
	self->depth = depth - 1;
	if (slot >= 0)
		self->done[slot]++;
	return resume;
}

/* ---- the second vCPU: registers its private events and idles ---- */

void secondary_main(u64 index)
{
	int cpu = (int)index;
	call0(SDEI_PE_UNMASK);
	static const u64 events[] = { EV_SIGNAL, EV_PRIVATE, EV_PRIVATE_CRITICAL };
	for (unsigned i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		if (reg(events[i], arg_of(cpu, events[i]), 0, 0) == SUCCESS)
			call1(SDEI_EVENT_ENABLE, events[i]);
	}
	cpus[cpu].ready = 1;
	for (;;)
		__asm__ volatile("wfe");
}

/* ---- the phases (vCPU 0) ---- */

static struct entry *last_entry(int cpu)
{
	u64 n = cpus[cpu].entries;
	static struct entry none;
	return n == 0 ? &none : &cpus[cpu].log[n - 1];
}

static u64 signal_self(void)
{
	return call(SDEI_EVENT_SIGNAL, EV_SIGNAL, mpidr_of(0), 0, 0, 0);
}

static void discovery(void)
{
	check("VERSION is 1.1, vendor 0", call0(SDEI_VERSION), 0x0001000100000000UL);
	check("FEATURES(BIND_SLOTS): one shared slot (the UART), no private", call1(SDEI_FEATURES, 0), 1);
	check("FEATURES(RELATIVE_MODE) is 0", call1(SDEI_FEATURES, 1), 0);
	check("FEATURES(2) is INVALID_PARAMETERS", call1(SDEI_FEATURES, 2), INVALID_PARAMETERS);
	check("an unknown SDEI function is NOT_SUPPORTED", call0(SDEI_UNKNOWN_FUNCTION), NOT_SUPPORTED);
	check("GET_INFO(0, TYPE) private", call(SDEI_EVENT_GET_INFO, 0, INFO_TYPE, 0, 0, 0), 0);
	check("GET_INFO(0, SIGNALED) 1", call(SDEI_EVENT_GET_INFO, 0, INFO_SIGNALED, 0, 0, 0), 1);
	check("GET_INFO(0, PRIORITY) normal", call(SDEI_EVENT_GET_INFO, 0, INFO_PRIORITY, 0, 0, 0), 0);
	check("GET_INFO(100, TYPE) private", call(SDEI_EVENT_GET_INFO, EV_PRIVATE, INFO_TYPE, 0, 0, 0), 0);
	check("GET_INFO(100, SIGNALED) 0", call(SDEI_EVENT_GET_INFO, EV_PRIVATE, INFO_SIGNALED, 0, 0, 0), 0);
	check("GET_INFO(101, PRIORITY) critical", call(SDEI_EVENT_GET_INFO, EV_PRIVATE_CRITICAL, INFO_PRIORITY, 0, 0, 0), 1);
	check("GET_INFO(200, TYPE) shared", call(SDEI_EVENT_GET_INFO, EV_SHARED, INFO_TYPE, 0, 0, 0), 1);
	check("GET_INFO(200, PRIORITY) normal", call(SDEI_EVENT_GET_INFO, EV_SHARED, INFO_PRIORITY, 0, 0, 0), 0);
	check("GET_INFO(201, PRIORITY) critical", call(SDEI_EVENT_GET_INFO, EV_SHARED_CRITICAL, INFO_PRIORITY, 0, 0, 0), 1);
	check("GET_INFO of an unknown event", call(SDEI_EVENT_GET_INFO, 12345, INFO_TYPE, 0, 0, 0), INVALID_PARAMETERS);
	check("GET_INFO with an unknown info", call(SDEI_EVENT_GET_INFO, 0, 7, 0, 0, 0), INVALID_PARAMETERS);
	check("GET_INFO(ROUTING) of a private event", call(SDEI_EVENT_GET_INFO, EV_PRIVATE, INFO_ROUTING, 0, 0, 0), INVALID_PARAMETERS);
	check("GET_INFO(ROUTING) of an unregistered shared event", call(SDEI_EVENT_GET_INFO, EV_SHARED, INFO_ROUTING, 0, 0, 0), DENIED);
}

static void errors(void)
{
	u64 entry = (u64)sdei_entry;
	check("REGISTER an unknown event", reg(12345, 0, 0, 0), INVALID_PARAMETERS);
	check("REGISTER a number with bits above 31", reg(1UL << 32, 0, 0, 0), INVALID_PARAMETERS);
	check("REGISTER with entry point 0", call(SDEI_EVENT_REGISTER, 0, 0, 0, 0, 0), INVALID_PARAMETERS);
	check("REGISTER with a misaligned entry point", call(SDEI_EVENT_REGISTER, 0, entry + 2, 0, 0, 0), INVALID_PARAMETERS);
	check("REGISTER with relative mode (not offered)", call(SDEI_EVENT_REGISTER, 0, entry, 0, 2, 0), INVALID_PARAMETERS);
	check("REGISTER shared RM_PE to no PE", reg(EV_SHARED, 0, RM_PE, 0x7f), INVALID_PARAMETERS);
	check("ENABLE unregistered", call1(SDEI_EVENT_ENABLE, 0), DENIED);
	check("DISABLE unregistered", call1(SDEI_EVENT_DISABLE, 0), DENIED);
	check("UNREGISTER unregistered", call1(SDEI_EVENT_UNREGISTER, 0), DENIED);
	check("STATUS unregistered", call1(SDEI_EVENT_STATUS, 0), 0);
	check("STATUS of an unknown event", call1(SDEI_EVENT_STATUS, 12345), INVALID_PARAMETERS);
	check("CONTEXT outside a handler", call1(SDEI_EVENT_CONTEXT, 0), DENIED);
	check("COMPLETE outside a handler", call0(SDEI_EVENT_COMPLETE), DENIED);
	check("COMPLETE_AND_RESUME outside a handler", call1(SDEI_EVENT_COMPLETE_RESUME, (u64)sdei_resume), DENIED);
	check("SIGNAL of an event other than 0", call(SDEI_EVENT_SIGNAL, EV_PRIVATE, mpidr_of(0), 0, 0, 0), INVALID_PARAMETERS);
	check("SIGNAL to no PE", call(SDEI_EVENT_SIGNAL, EV_SIGNAL, 0x7f, 0, 0, 0), INVALID_PARAMETERS);
	check("ROUTING_SET of a private event", call(SDEI_EVENT_ROUTING_SET, EV_PRIVATE, RM_ANY, 0, 0, 0), INVALID_PARAMETERS);
	check("ROUTING_SET of an unregistered shared event", call(SDEI_EVENT_ROUTING_SET, EV_SHARED, RM_ANY, 0, 0, 0), DENIED);
	check("INTERRUPT_BIND of an interrupt Vireo does not offer", call1(SDEI_INTERRUPT_BIND, 27), INVALID_PARAMETERS);
	check("INTERRUPT_RELEASE of an unbound event", call1(SDEI_INTERRUPT_RELEASE, 0x40000021UL), INVALID_PARAMETERS);
	check("PE_MASK of a PE that starts masked", call0(SDEI_PE_MASK), 0);
	check("PE_UNMASK", call0(SDEI_PE_UNMASK), SUCCESS);
	check("PE_MASK of an unmasked PE", call0(SDEI_PE_MASK), 1);
	check("PE_UNMASK again", call0(SDEI_PE_UNMASK), SUCCESS);
}

static void start_secondary(void)
{
	struct res r = hvc(PSCI_CPU_ON, mpidr_of(1), (u64)secondary_entry, 1, 0, 0);
	check("PSCI CPU_ON of vCPU 1", r.x0, 0);
	check("vCPU 1 registered its private events", (u64)wait_count(&cpus[1].ready, 1, ms(30000)), 1);
}

static void self_signal(void)
{
	check("REGISTER event 0", reg(EV_SIGNAL, arg_of(0, EV_SIGNAL), 0, 0), SUCCESS);
	check("REGISTER event 0 again", reg(EV_SIGNAL, 0, 0, 0), DENIED);
	check("STATUS registered", call1(SDEI_EVENT_STATUS, EV_SIGNAL), STATUS_REGISTERED);
	check("ENABLE event 0", call1(SDEI_EVENT_ENABLE, EV_SIGNAL), SUCCESS);
	check("STATUS registered and enabled", call1(SDEI_EVENT_STATUS, EV_SIGNAL), STATUS_REGISTERED | STATUS_ENABLED);

	check("EVENT_SIGNAL to this PE", signal_self(), SUCCESS);
	/* Taken as the SIGNAL call returns: handled before the next instruction. */
	check("the self-signal was handled before the call returned", cpus[0].done[0], 1);
	struct entry *e = last_entry(0);
	check("handler x0 is the event", e->event, EV_SIGNAL);
	check("handler x1 is the registered argument", e->arg, arg_of(0, EV_SIGNAL));
	check("handler x3: interrupted at EL1h", e->pstate & 0xf, 5);
	check("the handler runs with D, A, I and F masked", e->daif, 0x3c0);
	check("STATUS in the handler: running", e->status, STATUS_REGISTERED | STATUS_ENABLED | STATUS_RUNNING);
	check("CONTEXT(0): the interrupted x0 is the SIGNAL call's result", e->context0, SUCCESS);
	check("STATUS after completion", call1(SDEI_EVENT_STATUS, EV_SIGNAL), STATUS_REGISTERED | STATUS_ENABLED);

	check("EVENT_SIGNAL to the other PE", call(SDEI_EVENT_SIGNAL, EV_SIGNAL, mpidr_of(1), 0, 0, 0), SUCCESS);
	check("vCPU 1 handled the signal", (u64)wait_count(&cpus[1].done[0], 1, ms(30000)), 1);
	check("vCPU 1's handler got vCPU 1's argument", last_entry(1)->arg, arg_of(1, EV_SIGNAL));
	check("vCPU 0 did not take vCPU 1's signal", cpus[0].done[0], 1);
}

static void interrupted_context(void)
{
	cpus[0].mode = MODE_CONTEXT;
	ask_host(EV_SIGNAL, "0");
	check("the host-signalled event 0 arrived", (u64)wait_marked(&context_flag, ms(HOST_MS)), 1);
	cpus[0].mode = MODE_RECORD;
	check("interrupted PC in the wait loop, CONTEXT(18) refused, x9-x17 as left", context_result, 0x3fe03);
	check("CONTEXT(0): the interrupted x0", context_x0, (u64)&context_flag);
}

static void private_events(void)
{
	check("REGISTER event 100", reg(EV_PRIVATE, arg_of(0, EV_PRIVATE), 0, 0), SUCCESS);
	check("ENABLE event 100", call1(SDEI_EVENT_ENABLE, EV_PRIVATE), SUCCESS);
	ask_host(EV_PRIVATE, "1");
	check("host event 100 for vCPU 1 ran there", (u64)wait_count(&cpus[1].done[1], 1, ms(HOST_MS)), 1);
	check("with vCPU 1's argument", last_entry(1)->arg, arg_of(1, EV_PRIVATE));
	check("and not on vCPU 0", cpus[0].done[1], 0);
	ask_host(EV_PRIVATE, "all");
	check("host event 100 for every vCPU ran on vCPU 0", (u64)wait_count(&cpus[0].done[1], 1, ms(HOST_MS)), 1);
	check("and on vCPU 1", (u64)wait_count(&cpus[1].done[1], 2, ms(30000)), 1);
	check("vCPU 0's argument", last_entry(0)->arg, arg_of(0, EV_PRIVATE));
}

static void priorities(void)
{
	check("REGISTER event 101 (critical)", reg(EV_PRIVATE_CRITICAL, arg_of(0, EV_PRIVATE_CRITICAL), 0, 0), SUCCESS);
	check("ENABLE event 101", call1(SDEI_EVENT_ENABLE, EV_PRIVATE_CRITICAL), SUCCESS);

	/* A critical event preempts a running normal handler. */
	cpus[0].mode = MODE_PREEMPT;
	ask_host(EV_PRIVATE, "0");
	check("the normal handler ran and completed", (u64)wait_count(&cpus[0].done[1], 2, ms(2 * HOST_MS + 10000)), 1);
	cpus[0].mode = MODE_RECORD;
	check("the critical event arrived inside the normal handler", preempt_wait, 1);
	check("the critical handler saw the normal one running", critical_saw_normal, 1);
	check("nesting depth 2", critical_depth, 2);
	check("STATUS(100) in the critical handler: running", critical_status, STATUS_REGISTERED | STATUS_ENABLED | STATUS_RUNNING);
	check("the critical handler interrupted the normal handler's wait", critical_pc, 1);

	/* A normal event waits while a critical handler runs, then is taken when it completes. */
	u64 before = cpus[0].done[0];
	cpus[0].mode = MODE_BLOCK;
	ask_host(EV_PRIVATE_CRITICAL, "0");
	check("the critical handler ran", (u64)wait_count(&cpus[0].done[2], 2, ms(HOST_MS)), 1);
	check("event 0 was taken after the critical handler completed", (u64)wait_count(&cpus[0].done[0], before + 1, ms(30000)), 1);
	cpus[0].mode = MODE_RECORD;
	check("SIGNAL inside the critical handler succeeded", block_signal, SUCCESS);
	check("event 0 was held while the critical handler ran", block_held, 1);
	check("event 0's handler did not run inside the critical one", signal_during_critical, 0);
}

static void complete_and_resume(void)
{
	cpus[0].mode = MODE_RESUME;
	u64 result = signal_self();
	cpus[0].mode = MODE_RECORD;
	check("SIGNAL (resumed through the resume address)", result, SUCCESS);
	check("COMPLETE_AND_RESUME entered the resume address once", resume_count, 1);
	check("ELR_EL1 at the resume address: the interrupted PC", resume_elr, last_entry(0)->pc);
	check("SPSR_EL1 at the resume address: the interrupted PSTATE", resume_spsr, last_entry(0)->pstate);

	u64 before = cpus[0].done[0];
	cpus[0].mode = MODE_BAD_RESUME;
	signal_self();
	cpus[0].mode = MODE_RECORD;
	check("COMPLETE_AND_RESUME to a misaligned address is DENIED", bad_resume, DENIED);
	check("and the handler went on to complete", cpus[0].done[0], before + 1);
	check("no second resume", resume_count, 1);
}

static void masking(void)
{
	u64 before = cpus[0].done[0];
	check("PE_MASK", call0(SDEI_PE_MASK), 1);
	check("PE_MASK when masked", call0(SDEI_PE_MASK), 0);
	check("SIGNAL while masked", signal_self(), SUCCESS);
	pause_ms(20);
	check("nothing taken while masked", cpus[0].done[0], before);
	check("STATUS while masked and pending: not running", call1(SDEI_EVENT_STATUS, EV_SIGNAL), STATUS_REGISTERED | STATUS_ENABLED);
	check("PE_UNMASK", call0(SDEI_PE_UNMASK), SUCCESS);
	check("the held event was taken on unmask, once", cpus[0].done[0], before + 1);
	pause_ms(20);
	check("and only once", cpus[0].done[0], before + 1);

	check("DISABLE event 0", call1(SDEI_EVENT_DISABLE, EV_SIGNAL), SUCCESS);
	check("STATUS disabled", call1(SDEI_EVENT_STATUS, EV_SIGNAL), STATUS_REGISTERED);
	signal_self();
	pause_ms(20);
	check("nothing taken while disabled", cpus[0].done[0], before + 1);
	check("ENABLE", call1(SDEI_EVENT_ENABLE, EV_SIGNAL), SUCCESS);
	check("the held event was taken on enable", cpus[0].done[0], before + 2);
}

static void unregister_running(void)
{
	u64 before = cpus[0].done[0];
	cpus[0].mode = MODE_UNREGISTER;
	signal_self();
	cpus[0].mode = MODE_RECORD;
	check("UNREGISTER inside its handler is PENDING", unregister_first, PENDING);
	check("STATUS then: running, no longer registered", unregister_status, STATUS_RUNNING);
	check("UNREGISTER again while running: PENDING", unregister_again, PENDING);
	check("STATUS after completion: unregistered", call1(SDEI_EVENT_STATUS, EV_SIGNAL), 0);
	check("SIGNAL to an unregistered event succeeds", signal_self(), SUCCESS);
	check("and is dropped", cpus[0].done[0], before + 1);
	check("REGISTER after the pending unregister", reg(EV_SIGNAL, arg_of(0, EV_SIGNAL), 0, 0), SUCCESS);
	check("ENABLE", call1(SDEI_EVENT_ENABLE, EV_SIGNAL), SUCCESS);
	signal_self();
	check("a dropped signal is not remembered", cpus[0].done[0], before + 2);
}

static void shared_events(void)
{
	u64 total = cpus[0].done[3] + cpus[1].done[3];
	check("REGISTER event 200 RM_ANY", reg(EV_SHARED, 200, RM_ANY, 0), SUCCESS);
	check("GET_INFO(200, ROUTING) RM_ANY", call(SDEI_EVENT_GET_INFO, EV_SHARED, INFO_ROUTING, 0, 0, 0), RM_ANY);
	check("GET_INFO(200, AFFINITY) of RM_ANY", call(SDEI_EVENT_GET_INFO, EV_SHARED, INFO_AFFINITY, 0, 0, 0), INVALID_PARAMETERS);
	check("ENABLE event 200", call1(SDEI_EVENT_ENABLE, EV_SHARED), SUCCESS);
	check("ROUTING_SET while enabled", call(SDEI_EVENT_ROUTING_SET, EV_SHARED, RM_PE, mpidr_of(1), 0, 0), DENIED);
	ask_host(EV_SHARED, "shared");
	u64 sum = 0;
	u64 end = now() + ms(HOST_MS);
	while ((sum = cpus[0].done[3] + cpus[1].done[3]) < total + 1 && now() < end)
		;
	check("host shared event 200 ran on one PE", sum, total + 1);
	pause_ms(20);
	check("exactly once", cpus[0].done[3] + cpus[1].done[3], total + 1);

	check("DISABLE event 200", call1(SDEI_EVENT_DISABLE, EV_SHARED), SUCCESS);
	check("ROUTING_SET to vCPU 1", call(SDEI_EVENT_ROUTING_SET, EV_SHARED, RM_PE, mpidr_of(1), 0, 0), SUCCESS);
	check("ROUTING_SET with bad flags", call(SDEI_EVENT_ROUTING_SET, EV_SHARED, 2, 0, 0, 0), INVALID_PARAMETERS);
	check("GET_INFO(200, ROUTING) RM_PE", call(SDEI_EVENT_GET_INFO, EV_SHARED, INFO_ROUTING, 0, 0, 0), RM_PE);
	check("GET_INFO(200, AFFINITY) vCPU 1", call(SDEI_EVENT_GET_INFO, EV_SHARED, INFO_AFFINITY, 0, 0, 0), mpidr_of(1));
	check("ENABLE event 200", call1(SDEI_EVENT_ENABLE, EV_SHARED), SUCCESS);
	u64 on0 = cpus[0].done[3], on1 = cpus[1].done[3];
	ask_host(EV_SHARED, "shared");
	check("routed event 200 ran on vCPU 1", (u64)wait_count(&cpus[1].done[3], on1 + 1, ms(HOST_MS)), 1);
	check("with the registered argument", last_entry(1)->arg, 200);
	check("not on vCPU 0", cpus[0].done[3], on0);

	check("REGISTER event 201 (critical) RM_PE vCPU 0", reg(EV_SHARED_CRITICAL, 201, RM_PE, mpidr_of(0)), SUCCESS);
	check("ENABLE event 201", call1(SDEI_EVENT_ENABLE, EV_SHARED_CRITICAL), SUCCESS);
	ask_host(EV_SHARED_CRITICAL, "shared");
	check("host shared critical event 201 ran on vCPU 0", (u64)wait_count(&cpus[0].done[4], 1, ms(HOST_MS)), 1);
	check("its handler got x0 = 201", last_entry(0)->event, EV_SHARED_CRITICAL);
}

static void resets(void)
{
	/* SHARED_RESET while a shared handler runs is DENIED, and still unregisters. */
	cpus[0].mode = MODE_SHARED_RESET;
	ask_host(EV_SHARED_CRITICAL, "shared");
	check("event 201 ran again", (u64)wait_count(&cpus[0].done[4], 2, ms(HOST_MS)), 1);
	cpus[0].mode = MODE_RECORD;
	check("SHARED_RESET inside a shared handler is DENIED", reset_result, DENIED);
	check("STATUS(201) after: unregistered", call1(SDEI_EVENT_STATUS, EV_SHARED_CRITICAL), 0);
	check("STATUS(200) after: unregistered", call1(SDEI_EVENT_STATUS, EV_SHARED), 0);

	cpus[0].mode = MODE_PRIVATE_RESET;
	signal_self();
	cpus[0].mode = MODE_RECORD;
	check("PRIVATE_RESET inside a private handler is DENIED", reset_result, DENIED);
	check("STATUS(0) after: unregistered", call1(SDEI_EVENT_STATUS, EV_SIGNAL), 0);
	check("STATUS(100) after: unregistered", call1(SDEI_EVENT_STATUS, EV_PRIVATE), 0);

	check("REGISTER event 100", reg(EV_PRIVATE, 0, 0, 0), SUCCESS);
	check("REGISTER event 200", reg(EV_SHARED, 0, RM_ANY, 0), SUCCESS);
	check("PRIVATE_RESET", call0(SDEI_PRIVATE_RESET), SUCCESS);
	check("SHARED_RESET", call0(SDEI_SHARED_RESET), SUCCESS);
	check("STATUS(100) after PRIVATE_RESET", call1(SDEI_EVENT_STATUS, EV_PRIVATE), 0);
	check("STATUS(200) after SHARED_RESET", call1(SDEI_EVENT_STATUS, EV_SHARED), 0);
	u64 want = cpus[1].done[0] + 1;
	check("EVENT_SIGNAL to vCPU 1 after vCPU 0's resets", call(SDEI_EVENT_SIGNAL, EV_SIGNAL, mpidr_of(1), 0, 0, 0), SUCCESS);
	check("vCPU 1's event 0 outlived vCPU 0's PRIVATE_RESET", (u64)wait_count(&cpus[1].done[0], want, ms(30000)), 1);
}

static void interrupt_bind(void)
{
	check("INTERRUPT_BIND of the UART's SPI", call1(SDEI_INTERRUPT_BIND, UART_INTID), EV_BOUND_UART);
	check("INTERRUPT_BIND again names the same event", call1(SDEI_INTERRUPT_BIND, UART_INTID), EV_BOUND_UART);
	check("FEATURES(BIND_SLOTS) with it bound: none free", call1(SDEI_FEATURES, 0), 0);
	check("GET_INFO(bound SPI, TYPE) shared", call(SDEI_EVENT_GET_INFO, EV_BOUND_UART, INFO_TYPE, 0, 0, 0), 1);
	check("REGISTER the bound event RM_PE vCPU 0", reg(EV_BOUND_UART, UART_INTID, RM_PE, mpidr_of(0)), SUCCESS);
	check("ENABLE the bound event", call1(SDEI_EVENT_ENABLE, EV_BOUND_UART), SUCCESS);

	cpus[0].mode = MODE_UART;
	/* IER.ETBEI with the holding register empty: the UART raises its interrupt at once. */
	UART[1] = 0x02;
	check("the UART's interrupt arrived as the bound event", (u64)wait_count(&cpus[0].done[5], 1, ms(30000)), 1);
	cpus[0].mode = MODE_RECORD;
	check("its handler got x0 = 0x40000021", last_entry(0)->event, EV_BOUND_UART);
	check("and found THRE pending in IIR", uart_iir & 0xf, 2);
	pause_ms(20);
	check("one assertion, one event", cpus[0].done[5], 1);

	check("INTERRUPT_RELEASE while registered", call1(SDEI_INTERRUPT_RELEASE, EV_BOUND_UART), DENIED);
	check("UNREGISTER the bound event", call1(SDEI_EVENT_UNREGISTER, EV_BOUND_UART), SUCCESS);
	check("INTERRUPT_RELEASE", call1(SDEI_INTERRUPT_RELEASE, EV_BOUND_UART), SUCCESS);
	check("the released event is gone", call1(SDEI_EVENT_STATUS, EV_BOUND_UART), INVALID_PARAMETERS);
	check("FEATURES(BIND_SLOTS) after release", call1(SDEI_FEATURES, 0), 1);
	check("INTERRUPT_BIND after release", call1(SDEI_INTERRUPT_BIND, UART_INTID), EV_BOUND_UART);
	check("SHARED_RESET releases the binding", call0(SDEI_SHARED_RESET), SUCCESS);
	check("FEATURES(BIND_SLOTS) after SHARED_RESET", call1(SDEI_FEATURES, 0), 1);
}

/* The summary line, then power off. */
static void __attribute__((noreturn)) finish(void)
{
	put_str("SDEI-CONFORMANCE passed=");
	put_dec((u64)passed);
	put_str(" failed=");
	put_dec((u64)failed);
	put_str(" of ");
	put_dec((u64)(passed + failed));
	put_char('\n');
	system_off();
}

#ifndef SDEI_SNAPSHOT_GUEST
void guest_main(void)
{
	u64 freq;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	ticks_per_ms = freq / 1000 ? freq / 1000 : 1;
	put_str("SDEI-GUEST start\n");

	discovery();
	errors();
	start_secondary();
	self_signal();
	interrupted_context();
	private_events();
	priorities();
	complete_and_resume();
	masking();
	unregister_running();
	shared_events();
	resets();
	interrupt_bind();

	finish();
}
#endif
