/* DFSA probe: reads a file in two halves, waiting in between, so a test can count the
 * calls that went home while it read, and move it home with the file open.
 *   usage: dfsaprobe PATH GO HALFWAY RESUME [HELD]
 * Prints "ready", waits for the file GO to exist, opens PATH, reads its first half with
 * 1 MiB reads, creates HALFWAY (empty), waits for RESUME, reads the rest from where it
 * was and prints "fd FD bytes N fnv HEX" (64-bit FNV-1a of the whole file). Waiting
 * polls with access() and nanosleep() only. With HELD, that file is opened at the start
 * under fd 800 (a number DFSA uses for its own files) and its first line is printed at
 * the end as "held LINE". Exit 2 on a failed call, 4 after 120 s. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BUF (1 << 20)
static char buf[BUF];

static int wait_for(const char* path) {
    struct timespec tick = {0, 20 * 1000 * 1000};
    for (int i = 0; i < 6000; ++i) {
        if (access(path, F_OK) == 0) return 0;
        nanosleep(&tick, NULL);
    }
    return -1;
}

static uint64_t fnv(uint64_t h, const char* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

int main(int argc, char** argv) {
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: dfsaprobe PATH GO HALFWAY RESUME [HELD]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 6) {
        int held = open(argv[5], O_RDONLY);
        if (held < 0 || dup2(held, 800) != 800) return 2;
        close(held);
    }
    printf("ready\n");
    if (wait_for(argv[2])) return 4;
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        printf("error open %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) return 2;
    uint64_t h = 1469598103934665603ull;
    long long total = 0, half = st.st_size / 2;
    while (total < half) {
        ssize_t n = read(fd, buf, (size_t)(half - total < BUF ? half - total : BUF));
        if (n <= 0) return 2;
        h = fnv(h, buf, (size_t)n);
        total += n;
    }
    int mark = open(argv[3], O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (mark < 0) {
        printf("error creat %s: %s\n", argv[3], strerror(errno));
        return 2;
    }
    close(mark);
    if (wait_for(argv[4])) return 4;
    for (;;) {
        ssize_t n = read(fd, buf, BUF);
        if (n < 0) {
            printf("error read: %s\n", strerror(errno));
            return 2;
        }
        if (n == 0) break;
        h = fnv(h, buf, (size_t)n);
        total += n;
    }
    printf("fd %d bytes %lld fnv %016llx\n", fd, total, (unsigned long long)h);
    if (argc == 6) {
        ssize_t n = pread(800, buf, 4096, 0);
        if (n < 0) {
            printf("error held: %s\n", strerror(errno));
            return 2;
        }
        char* nl = memchr(buf, '\n', (size_t)n);
        printf("held %.*s\n", (int)(nl ? nl - buf : n), buf);
    }
    return 0;
}
