/* The HOWTO's pthreads case: a process with two threads never migrates (cantmove:
 * clone_vm) and keeps working.   usage: threads [seconds] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile unsigned long counter;

static void* worker(void* arg) {
    (void)arg;
    for (;;) counter++;
    return NULL;
}

int main(int argc, char** argv) {
    int seconds = argc > 1 ? atoi(argv[1]) : 30;
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0) return 2;
    for (int i = 0; i < seconds * 10; ++i) usleep(100000);
    printf("threads done %d\n", counter > 0);
    return 0;
}
