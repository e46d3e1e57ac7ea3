/* Writes lines to its stdout, then closes fd 1 and opens FILE, which becomes fd 1 again,
 * and writes on: what an fd number means at home changes under a migrated process.
 *   usage: reopen FILE [lines] [period_ms] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    long lines = argc > 2 ? atol(argv[2]) : 40;
    long period_ms = argc > 3 ? atol(argv[3]) : 20;
    char buf[64];
    for (long i = 0; i < lines; ++i) {
        if (i == lines / 2) {
            close(1);
            if (open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600) != 1) return 3;
        }
        int n = snprintf(buf, sizeof buf, "line %ld\n", i);
        if (write(1, buf, (size_t)n) != n) return 4;
        struct timespec ts = {period_ms / 1000, (period_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return 0;
}
