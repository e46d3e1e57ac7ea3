/* writev and readv under migration: every PERIOD ms writes "line I: " + "checksum\n" with
 * one writev to stdout, and reads the same bytes back with one readv into two pieces from
 * a file it wrote them to, printing a mismatch if any.
 *   usage: vectored [lines] [period_ms] [scratch file] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
    int lines = argc > 1 ? atoi(argv[1]) : 30;
    long period_ms = argc > 2 ? atol(argv[2]) : 50;
    const char* path = argc > 3 ? argv[3] : "/tmp/vectored.scratch";
    struct timespec ts = {period_ms / 1000, (period_ms % 1000) * 1000000L};
    unsigned long sum = 1;
    for (int i = 0; i < lines; ++i) {
        for (int k = 0; k < 100000; ++k) sum = sum * 6364136223846793005UL + 1442695040888963407UL;
        char head[32], tail[32];
        int h = snprintf(head, sizeof head, "line %d: ", i), t = snprintf(tail, sizeof tail, "%016lx\n", sum);
        struct iovec out[2] = {{head, (size_t)h}, {tail, (size_t)t}};
        if (writev(1, out, 2) != h + t) return 2;
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || writev(fd, out, 2) != h + t) return 3;
        lseek(fd, 0, SEEK_SET);
        char a[32] = {0}, b[32] = {0};
        struct iovec in[2] = {{a, (size_t)h}, {b, (size_t)t}};
        if (readv(fd, in, 2) != h + t || memcmp(a, head, (size_t)h) || memcmp(b, tail, (size_t)t)) {
            printf("mismatch at line %d\n", i);
            return 4;
        }
        close(fd);
        nanosleep(&ts, NULL);
    }
    unlink(path);
    return 0;
}
