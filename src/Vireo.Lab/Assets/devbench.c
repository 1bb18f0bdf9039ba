/* devbench: the guest and host halves of `vireo-lab bench devices`, one static binary.
 *
 *   devbench randread DEVICE SECONDS   4 KiB O_DIRECT reads at random aligned offsets, one at
 *                                      a time (queue depth 1: each costs a full round trip
 *                                      through the VMM), for SECONDS
 *   devbench seqread DEVICE SECONDS    1 MiB O_DIRECT reads from offset 0, wrapping at the end
 *   devbench send HOST PORT SECONDS    a TCP stream of 128 KiB writes to HOST:PORT, then waits
 *                                      for the receiver to close (so all of it arrived)
 *   devbench sink PORT                 accepts connections on PORT and reads each to its end
 *
 * The guest commands print one line "@@DEVBENCH NAME requests=N bytes=N seconds=S" with the
 * guest's CLOCK_MONOTONIC time; a failure prints "@@DEVBENCH NAME error=..." and exits 1. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int fail(const char *name, const char *what)
{
    printf("@@DEVBENCH %s error=%s:%s\n", name, what, strerror(errno));
    return 1;
}

static void report(const char *name, long long requests, long long bytes, double seconds)
{
    printf("@@DEVBENCH %s requests=%lld bytes=%lld seconds=%.6f\n", name, requests, bytes, seconds);
    fflush(stdout);
}

static uint64_t next_random(uint64_t *state)
{
    /* xorshift64*: enough to spread offsets over the device. */
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static int block_read(const char *name, const char *device, double seconds, size_t size, int random)
{
    int fd = open(device, O_RDONLY | O_DIRECT);
    if (fd < 0)
        return fail(name, "open");
    unsigned long long device_bytes = 0;
    if (ioctl(fd, BLKGETSIZE64, &device_bytes) != 0) {
        off_t end = lseek(fd, 0, SEEK_END); /* a regular file, for trying it on the host */
        device_bytes = end < 0 ? 0 : (unsigned long long)end;
    }
    if (device_bytes < size)
        return fail(name, "size");
    void *buffer;
    if (posix_memalign(&buffer, 4096, size) != 0)
        return fail(name, "memory");
    uint64_t state = 0x9E3779B97F4A7C15ULL, blocks = device_bytes / size, next = 0;
    long long requests = 0, bytes = 0;
    double start = now(), elapsed = 0;
    while (elapsed < seconds) {
        uint64_t block = random ? next_random(&state) % blocks : next++ % blocks;
        ssize_t got = pread(fd, buffer, size, (off_t)(block * size));
        if (got != (ssize_t)size)
            return fail(name, "read");
        requests++;
        bytes += got;
        elapsed = now() - start;
    }
    report(name, requests, bytes, elapsed);
    close(fd);
    return 0;
}

static int send_stream(const char *host, int port, double seconds)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (fd < 0 || inet_pton(AF_INET, host, &address.sin_addr) != 1)
        return fail("tcp-send", "address");
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0)
        return fail("tcp-send", "connect");
    static char buffer[128 << 10];
    memset(buffer, 0x5A, sizeof buffer);
    long long requests = 0, bytes = 0;
    double start = now();
    while (now() - start < seconds) {
        ssize_t put = write(fd, buffer, sizeof buffer);
        if (put <= 0)
            return fail("tcp-send", "write");
        requests++;
        bytes += put;
    }
    /* The receiver closes after reading everything: the time includes the last byte arriving. */
    shutdown(fd, SHUT_WR);
    char ignored[64];
    while (read(fd, ignored, sizeof ignored) > 0) {
    }
    report("tcp-send", requests, bytes, now() - start);
    close(fd);
    return 0;
}

static int sink(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_ANY) };
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, 4) != 0)
        return fail("sink", "listen");
    static char buffer[256 << 10];
    for (;;) {
        int connection = accept(fd, NULL, NULL);
        if (connection < 0)
            return fail("sink", "accept");
        long long bytes = 0;
        ssize_t got;
        while ((got = read(connection, buffer, sizeof buffer)) > 0)
            bytes += got;
        close(connection);
        printf("@@DEVBENCH sink bytes=%lld\n", bytes);
        fflush(stdout);
    }
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "randread") == 0)
        return block_read("blk-randread", argv[2], atof(argv[3]), 4096, 1);
    if (argc == 4 && strcmp(argv[1], "seqread") == 0)
        return block_read("blk-seqread", argv[2], atof(argv[3]), 1 << 20, 0);
    if (argc == 5 && strcmp(argv[1], "send") == 0)
        return send_stream(argv[2], atoi(argv[3]), atof(argv[4]));
    if (argc == 3 && strcmp(argv[1], "sink") == 0)
        return sink(atoi(argv[2]));
    fprintf(stderr, "usage: devbench randread|seqread DEVICE SECONDS | send HOST PORT SECONDS | sink PORT\n");
    return 2;
}
