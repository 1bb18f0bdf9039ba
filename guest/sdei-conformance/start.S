/*
 * The SDEI conformance guest's entry points, in assembly because each runs where C cannot:
 * the arm64 Image header and the boot vCPU's first instructions, a secondary vCPU's PSCI CPU_ON
 * entry, the SDEI handler entry (DEN0054 §6.2: x0 event, x1 argument, x2 interrupted PC,
 * x3 interrupted PSTATE, running on the interrupted SP at EL1h), the COMPLETE_AND_RESUME
 * target (entered as an exception would be: ELR_EL1/SPSR_EL1 hold the interrupted context) and
 * the marked wait loop whose registers a handler reads back through EVENT_CONTEXT.
 *
 * The MMU stays off: every data access is to Device memory, so the C code is built with
 * -mstrict-align and nothing here is unaligned.
 */

#define SDEI_EVENT_COMPLETE             0xC4000025
#define SDEI_EVENT_COMPLETE_AND_RESUME  0xC4000026
#define PSCI_SYSTEM_OFF                 0x84000008

#define STACK_SIZE 0x4000

	.section .text.head, "ax"
	.global _start
_start:
	/* Linux's arm64 booting.rst Image header: code0/code1, text_offset, image_size, flags,
	 * three reserved words, the "ARM\x64" magic, the PE header offset. */
	b	boot_entry
	.long	0
	.quad	0			/* text_offset: the image sits at a 2 MiB-aligned base */
	.quad	_image_size		/* image_size, bss and stacks included */
	.quad	2			/* flags: little-endian, 4 KiB pages, base near the start of RAM */
	.quad	0
	.quad	0
	.quad	0
	.ascii	"ARM\x64"
	.long	0

	.text
boot_entry:
	/* x0 holds the device tree; this guest takes no parameters from it. */
	adr	x1, vectors
	msr	vbar_el1, x1
	isb
	ldr	x1, =__bss_start
	ldr	x2, =__bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	mov	x0, #0
	bl	set_stack
	bl	guest_main
	b	system_off

/* PSCI CPU_ON lands here with x0 = the context id, which is the vCPU's index. */
	.global secondary_entry
secondary_entry:
	adr	x1, vectors
	msr	vbar_el1, x1
	isb
	mov	x19, x0
	bl	set_stack
	mov	x0, x19
	bl	secondary_main
	b	system_off

/* SP = the top of vCPU x0's stack; x0 is kept. */
set_stack:
	ldr	x1, =stacks
	add	x2, x0, #1
	mov	x3, #STACK_SIZE
	madd	x1, x2, x3, x1
	mov	sp, x1
	ret

	.global system_off
system_off:
	ldr	x0, =PSCI_SYSTEM_OFF
	hvc	#0
3:	wfi
	b	3b

/*
 * SDEI handler entry. The dispatcher saved and will restore x0-x17, PC and PSTATE; the C
 * handler keeps x19-x29 as the AAPCS64 says, so only x18 and x30 need saving here. The C
 * handler returns 0 to complete, or an address to complete and resume at.
 */
	.global sdei_entry
	.balign 4
sdei_entry:
	stp	x29, x30, [sp, #-32]!
	str	x18, [sp, #16]
	mov	x29, sp
	bl	sdei_handler
	ldr	x18, [sp, #16]
	ldp	x29, x30, [sp], #32
	cbnz	x0, 4f
	ldr	x0, =SDEI_EVENT_COMPLETE
	hvc	#0
	/* COMPLETE does not return; reaching here is a dispatcher bug the C side reports. */
	b	sdei_complete_returned
4:	mov	x1, x0
	ldr	x0, =SDEI_EVENT_COMPLETE_AND_RESUME
	hvc	#0
	b	sdei_complete_returned

/*
 * The COMPLETE_AND_RESUME target: entered at EL1h with DAIF masked and every register as the
 * interrupted code left it, ELR_EL1/SPSR_EL1 holding its PC/PSTATE, as if an exception had
 * been taken there. Counts itself, records ELR_EL1 and returns with ERET.
 */
	.global sdei_resume
	.balign 4
sdei_resume:
	stp	x0, x1, [sp, #-16]!
	ldr	x0, =resume_count
	ldr	x1, [x0]
	add	x1, x1, #1
	str	x1, [x0]
	ldr	x0, =resume_elr
	mrs	x1, elr_el1
	str	x1, [x0]
	ldr	x0, =resume_spsr
	mrs	x1, spsr_el1
	str	x1, [x0]
	ldp	x0, x1, [sp], #16
	eret

/*
 * int wait_marked(volatile u64 *flag, u64 ticks): spin until *flag is non-zero (1) or the
 * virtual counter has advanced by ticks (0), with x9-x17 holding WAIT_MARK + n, so that a
 * handler that interrupts the loop can check EVENT_CONTEXT against known values and the
 * interrupted PC against [wait_loop, wait_loop_end).
 */
	.global wait_marked
	.global wait_loop
	.global wait_loop_end
wait_marked:
	mrs	x2, cntvct_el0
	add	x1, x1, x2
	mov	x9, #0x5d09
	mov	x10, #0x5d0a
	mov	x11, #0x5d0b
	mov	x12, #0x5d0c
	mov	x13, #0x5d0d
	mov	x14, #0x5d0e
	mov	x15, #0x5d0f
	mov	x16, #0x5d10
	mov	x17, #0x5d11
wait_loop:
	ldr	x3, [x0]
	cbnz	x3, 5f
	mrs	x2, cntvct_el0
	cmp	x2, x1
	b.lo	wait_loop
wait_loop_end:
	mov	x0, #0
	ret
5:	mov	x0, #1
	ret

/* Every exception is fatal here: report which vector and the syndrome, then power off. */
	.balign 2048
vectors:
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	.balign 128
	mov	x0, #\n
	mrs	x1, esr_el1
	mrs	x2, elr_el1
	mrs	x3, far_el1
	b	fatal_exception
	.endr

	.bss
	.balign 16
	.global stacks
stacks:
	.space	STACK_SIZE * 3
