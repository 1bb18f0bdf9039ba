/* The lab's vsock test tool, built static by the test and run in L1 (the host side, over
 * Vireo's UNIX sockets) and in L2 (the guest side, over AF_VSOCK): busybox has neither.
 * Each mode moves one stream: send stdin, half-close, copy the reply to stdout.
 *
 *   connect CID PORT      guest: connect to CID:PORT over AF_VSOCK
 *   listen PORT           guest: accept one AF_VSOCK connection on PORT, reply "guest-got:" + what came
 *   unix-connect PATH P   host:  Firecracker's handshake on PATH ("CONNECT P\n", "OK ...\n"), then the stream
 *   unix-listen PATH      host:  accept one connection on the UNIX socket PATH, reply "host-got:" + what came
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* Before linux/vm_sockets.h, which uses struct sockaddr and sa_family_t without including them
 * (newer uAPI headers, such as the arm64 cross toolchain's, no longer pull them in). */
#include <sys/socket.h>
#include <linux/vm_sockets.h>
#include <sys/un.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) { if (errno == EINTR) continue; die("write"); }
        p += w; n -= (size_t)w;
    }
}

/* Reads fd to its end into a buffer (at most 1 MiB); returns the length. */
static size_t read_all(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) { if (errno == EINTR) continue; die("read"); }
        if (r == 0 || (n += (size_t)r) == cap) return n;
    }
}

static char buf[1 << 20];

/* Sends stdin, half-closes, and copies the reply to stdout. */
static void exchange(int s)
{
    size_t n = read_all(0, buf, sizeof buf);
    write_all(s, buf, n);
    if (shutdown(s, SHUT_WR) < 0) die("shutdown");
    n = read_all(s, buf, sizeof buf);
    write_all(1, buf, n);
}

/* Reads the peer's stream to its end, prints it, and answers with prefix + it. */
static void answer(int c, const char *prefix)
{
    size_t n = read_all(c, buf, sizeof buf);
    write_all(1, buf, n);
    write_all(c, prefix, strlen(prefix));
    write_all(c, buf, n);
    close(c);
}

static struct sockaddr_un unix_address(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof a.sun_path) { fprintf(stderr, "path too long\n"); exit(2); }
    strcpy(a.sun_path, path);
    return a;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "connect") == 0) {
        struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = (unsigned)atoi(argv[2]), .svm_port = (unsigned)atoi(argv[3]) };
        int s = socket(AF_VSOCK, SOCK_STREAM, 0);
        if (s < 0) die("socket(AF_VSOCK)");
        if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
        exchange(s);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "listen") == 0) {
        struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = (unsigned)atoi(argv[2]) };
        int s = socket(AF_VSOCK, SOCK_STREAM, 0);
        if (s < 0) die("socket(AF_VSOCK)");
        if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
        if (listen(s, 1) < 0) die("listen");
        printf("listening on vsock port %s\n", argv[2]);
        fflush(stdout);
        int c = accept(s, NULL, NULL);
        if (c < 0) die("accept");
        answer(c, "guest-got:");
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "unix-connect") == 0) {
        struct sockaddr_un a = unix_address(argv[2]);
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        if (s < 0) die("socket(AF_UNIX)");
        if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
        char line[64];
        int n = snprintf(line, sizeof line, "CONNECT %s\n", argv[3]);
        write_all(s, line, (size_t)n);
        /* The answer line, byte by byte so nothing of the stream is read with it. */
        size_t got = 0;
        while (got + 1 < sizeof line) {
            ssize_t r = read(s, line + got, 1);
            if (r <= 0) { fprintf(stderr, "no answer to CONNECT %s\n", argv[3]); return 1; }
            if (line[got++] == '\n') break;
        }
        line[got] = 0;
        if (strncmp(line, "OK ", 3) != 0) { fprintf(stderr, "refused: %s", line); return 1; }
        write_all(1, line, got);
        exchange(s);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "unix-listen") == 0) {
        struct sockaddr_un a = unix_address(argv[2]);
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        if (s < 0) die("socket(AF_UNIX)");
        unlink(argv[2]);
        if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
        if (listen(s, 1) < 0) die("listen");
        int c = accept(s, NULL, NULL);
        if (c < 0) die("accept");
        answer(c, "host-got:");
        return 0;
    }
    fprintf(stderr, "usage: vsock-tool connect CID PORT | listen PORT | unix-connect PATH PORT | unix-listen PATH\n");
    return 2;
}
