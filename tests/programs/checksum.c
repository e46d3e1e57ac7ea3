/* A process whose whole state matters: globals, heap, stack, thread-local storage and
 * SSE/AVX registers all feed a running checksum printed every PERIOD ms. Migrated or not,
 * the printed sequence must be the same.   usage: checksum [lines] [period_ms] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t global_state = 0x9e3779b97f4a7c15ULL;
static __thread uint64_t tls_state = 12345;

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

int main(int argc, char** argv) {
    long lines = argc > 1 ? atol(argv[1]) : 50;
    long period_ms = argc > 2 ? atol(argv[2]) : 100;
    size_t heap_words = 1 << 18; /* 2 MiB of heap */
    uint64_t* heap = malloc(heap_words * sizeof *heap);
    uint64_t stack_words[512];
    double fp = 1.0;
    if (!heap) return 2;
    for (size_t i = 0; i < heap_words; ++i) heap[i] = mix(i);
    for (size_t i = 0; i < 512; ++i) stack_words[i] = mix(i + 7);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (long line = 0; line < lines; ++line) {
        for (int round = 0; round < 2000; ++round) {
            size_t h = (size_t)(global_state % heap_words), s = (size_t)(tls_state % 512);
            heap[h] = mix(heap[h] + stack_words[s]);
            stack_words[s] ^= heap[h];
            global_state = mix(global_state + heap[h]);
            tls_state = mix(tls_state ^ global_state);
            fp = fp * 1.0000001 + (double)(global_state & 0xff) / 256.0;
        }
        uint64_t sum = global_state ^ tls_state;
        for (size_t i = 0; i < heap_words; i += 4096) sum = mix(sum + heap[i]);
        printf("%ld %016llx %.6f\n", line, (unsigned long long)sum, fp);
        struct timespec ts = {period_ms / 1000, (period_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    free(heap);
    return 0;
}
