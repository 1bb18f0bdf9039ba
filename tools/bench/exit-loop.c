// Reference for `vireo bench exits`: the same 64-bit guest (N `out dx, al` to one port, then
// HLT) run by the smallest possible C loop over KVM_RUN, so the C# figure can be read as a
// ratio against KVM's own cost on the same machine. Prints JSON on stdout.
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE (2u << 20)
#define CODE_ADDR 0x10000u
#define PORT 0x510

static void die(const char *what) { perror(what); exit(1); }

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
    uint32_t count = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 200000;
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) die("open /dev/kvm");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) die("KVM_CREATE_VM");
    uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) die("mmap");
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE, .userspace_addr = (uint64_t)mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) die("KVM_SET_USER_MEMORY_REGION");

    // Identity map of the first 2 MiB with one 2 MiB page (PVM rejects 1 GiB pages).
    uint64_t *pml4 = (uint64_t *)(mem + 0x1000), *pdpt = (uint64_t *)(mem + 0x2000), *pd = (uint64_t *)(mem + 0x3000);
    pml4[0] = 0x2000 | 3;
    pdpt[0] = 0x3000 | 3;
    pd[0] = 0x0 | 0x83;
    uint64_t *gdt = (uint64_t *)(mem + 0x500);
    gdt[0] = 0;
    gdt[1] = 0x00af9b000000ffffULL; // 64-bit code
    gdt[2] = 0x00cf93000000ffffULL; // data
    uint8_t code[] = {0xb9, 0, 0, 0, 0, 0x66, 0xba, PORT & 0xff, PORT >> 8, 0xb0, 0x2a,
                      0xee, 0xff, 0xc9, 0x75, 0xfb, 0xf4};
    memcpy(code + 1, &count, 4);
    memcpy(mem + CODE_ADDR, code, sizeof code);

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) die("KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) die("mmap kvm_run");

    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) die("KVM_GET_SREGS");
    struct kvm_segment cs = {.base = 0, .limit = 0xffffffff, .selector = 8, .type = 11, .present = 1,
                             .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1};
    struct kvm_segment ds = cs;
    ds.selector = 16; ds.type = 3; ds.l = 0; ds.db = 1;
    sregs.cs = cs;
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = ds;
    sregs.gdt.base = 0x500; sregs.gdt.limit = 23;
    sregs.cr3 = 0x1000;
    sregs.cr4 = 1u << 5;                     // PAE
    sregs.cr0 = 0x80000001u | (1u << 4);     // PG | PE | ET
    sregs.efer = (1u << 8) | (1u << 10);     // LME | LMA
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) die("KVM_SET_SREGS");
    struct kvm_regs regs = {.rip = CODE_ADDR, .rflags = 2, .rsp = 0x8000};
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) die("KVM_SET_REGS");

    uint64_t exits = 0, last = 0;
    double start = now_us();
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) die("KVM_RUN");
        if (run->exit_reason == KVM_EXIT_IO) {
            if (run->io.port == PORT && run->io.direction == KVM_EXIT_IO_OUT) {
                last = *((uint8_t *)run + run->io.data_offset);
                exits++;
            }
            continue;
        }
        if (run->exit_reason == KVM_EXIT_HLT) break;
        fprintf(stderr, "unexpected exit %u\n", run->exit_reason);
        return 1;
    }
    double elapsed = now_us() - start;
    if (exits != count || last != 0x2a) { fprintf(stderr, "saw %lu exits, expected %u\n", exits, count); return 1; }
    printf("{\"exits\":%lu,\"seconds\":%.6f,\"usPerExit\":%.3f,\"exitsPerSecond\":%.0f}\n",
           exits, elapsed / 1e6, elapsed / exits, exits / (elapsed / 1e6));
    return 0;
}
