/* Reads one file from start to end with 1 MiB reads, several times, and prints the MB/s of
 * each pass. It waits for GO_FILE to appear before it opens the file, so a benchmark can
 * move it to another node first (the open and the reads then happen where it runs: DFSA,
 * or forwarded home without it). Stops after PASSES passes or once MAX_SECONDS have been
 * spent reading (at least one pass).
 *   usage: mfsread PATH GO_FILE [passes] [max_seconds]
 * Prints "ready" once it waits, then "pass I BYTES bytes SECONDS s MBS MB/s" per pass and
 * "best MBS MB/s". Exit 2 on a bad call, 4 when GO_FILE never appears (60 s). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUF (1 << 20)

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: mfsread PATH GO_FILE [passes] [max_seconds]\n");
        return 2;
    }
    const char* path = argv[1];
    const char* go = argv[2];
    int passes = argc > 3 ? atoi(argv[3]) : 3;
    double max_seconds = argc > 4 ? atof(argv[4]) : 10.0;
    char* buf = malloc(BUF);
    if (!buf) return 2;
    memset(buf, 0, BUF);   /* touched here, not while away */
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready\n");

    struct timespec tick = {0, 20 * 1000 * 1000};
    double waited = 0;
    while (access(go, F_OK) != 0) {
        nanosleep(&tick, NULL);
        if ((waited += 0.02) > 60) return 4;
    }

    double best = 0, spent = 0;
    for (int i = 1; i <= passes && (i == 1 || spent < max_seconds); ++i) {
        double t0 = now_s();
        int fd = open(path, O_RDONLY);
        if (fd < 0) {
            printf("error open %s: %s\n", path, strerror(errno));
            return 2;
        }
        long long total = 0;
        for (;;) {
            ssize_t n = read(fd, buf, BUF);
            if (n < 0) {
                printf("error read %s: %s\n", path, strerror(errno));
                return 2;
            }
            if (n == 0) break;
            total += n;
        }
        close(fd);
        double s = now_s() - t0;
        spent += s;
        double mbs = total / s / 1e6;
        if (mbs > best) best = mbs;
        printf("pass %d %lld bytes %.4f s %.1f MB/s\n", i, total, s, mbs);
    }
    printf("best %.1f MB/s\n", best);
    return 0;
}
