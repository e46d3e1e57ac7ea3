/* CPU-bound work in timed blocks: waits DELAY ms (so a benchmark can move it first), then
 * runs BLOCKS blocks of ITER multiply-add steps and prints the median block time in ms.
 *   usage: spin [blocks] [iterations per block] [delay_ms] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
    int blocks = argc > 1 ? atoi(argv[1]) : 20;
    long iter = argc > 2 ? atol(argv[2]) : 20000000L;
    long delay_ms = argc > 3 ? atol(argv[3]) : 0;
    double* t = malloc(sizeof(double) * (size_t)(blocks > 0 ? blocks : 1));
    if (!t || blocks <= 0) return 2;
    struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    volatile unsigned long x = 1;
    for (int b = 0; b < blocks; ++b) {
        double t0 = now_ms();
        for (long i = 0; i < iter; ++i) x = x * 6364136223846793005UL + 1442695040888963407UL;
        t[b] = now_ms() - t0;
    }
    qsort(t, (size_t)blocks, sizeof *t, cmp);
    printf("block median %.3f ms min %.3f ms\n", t[blocks / 2], t[0]);
    return 0;
}
