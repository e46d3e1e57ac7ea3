/* Touches MIB mebibytes of heap with distinct values, then prints a checksum of all of
 * it every PERIOD ms: used to measure checkpoint/restore of big images and to check they
 * arrive intact.   usage: memhog MIB [lines] [period_ms] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char** argv) {
    size_t mib = argc > 1 ? (size_t)atol(argv[1]) : 64;
    long lines = argc > 2 ? atol(argv[2]) : 1000000;
    long period_ms = argc > 3 ? atol(argv[3]) : 100;
    size_t words = mib << 17;
    uint64_t* mem = malloc(words * sizeof *mem);
    if (!mem) return 2;
    for (size_t i = 0; i < words; ++i) mem[i] = i * 0x9e3779b97f4a7c15ULL + 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready\n");
    for (long line = 0; line < lines; ++line) {
        uint64_t sum = 0;
        for (size_t i = 0; i < words; ++i) sum = (sum ^ mem[i]) * 31 + (uint64_t)line;
        printf("%ld %016llx\n", line, (unsigned long long)sum);
        struct timespec ts = {period_ms / 1000, (period_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return 0;
}
