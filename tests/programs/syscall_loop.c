/* Times system calls one by one: N getppid() calls and N 4 KiB write()s to a file, then
 * prints the median and 99th percentile of each in microseconds. It waits DELAY ms first,
 * so a benchmark can move it away before it starts measuring.
 *   usage: syscall_loop [n] [delay_ms] [file] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return x < y ? -1 : x > y;
}

static void report(const char* what, double* t, int n) {
    qsort(t, (size_t)n, sizeof *t, cmp);
    printf("%s median %.2f p99 %.2f us\n", what, t[n / 2], t[n * 99 / 100]);
}

int main(int argc, char** argv) {
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    long delay_ms = argc > 2 ? atol(argv[2]) : 0;
    const char* file = argc > 3 ? argv[3] : "/dev/null";
    double* t = malloc(sizeof(double) * (size_t)n);
    static char block[4096];
    memset(block, 'x', sizeof block);
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (!t || fd < 0) return 2;
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready\n");
    struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    for (int i = 0; i < n; ++i) {
        double t0 = now_us();
        getppid();
        t[i] = now_us() - t0;
    }
    report("getppid", t, n);
    for (int i = 0; i < n; ++i) {
        double t0 = now_us();
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block) return 3;
        t[i] = now_us() - t0;
    }
    report("write4k", t, n);
    return 0;
}
