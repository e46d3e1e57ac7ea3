/* Remote fork probe: waits until the file TRIGGER exists, then forks CHILDREN children.
 * Each child spins for about SPIN_MS of CPU, reports who it is (its PID, its parent, a
 * checksum of memory it inherited) and exits with 10 + its index; the parent reaps them
 * all and reports each status.
 *   usage: forker TRIGGER [children] [spin_ms] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned long inherited[4096];

static double cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void spin(double ms) {
    volatile unsigned long x = 1;
    double until = cpu_ms() + ms;
    while (cpu_ms() < until)
        for (int i = 0; i < 100000; ++i) x = x * 6364136223846793005UL + 1;
}

static unsigned long checksum(void) {
    unsigned long sum = 0;
    for (int i = 0; i < 4096; ++i) sum = sum * 31 + inherited[i];
    return sum;
}

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    int children = argc > 2 ? atoi(argv[2]) : 1;
    double spin_ms = argc > 3 ? atof(argv[3]) : 1000;
    for (int i = 0; i < 4096; ++i) inherited[i] = (unsigned long)i * 2654435761UL;
    printf("forker %d checksum %lu\n", getpid(), checksum());
    fflush(stdout);
    struct stat st;
    while (stat(argv[1], &st) != 0) spin(20);
    for (int i = 0; i < children; ++i) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            spin(spin_ms);
            printf("child %d pid %d ppid %d checksum %lu\n", i, getpid(), getppid(), checksum());
            fflush(stdout);
            _exit(10 + i);
        }
        printf("forked %d\n", pid);
        fflush(stdout);
    }
    for (int i = 0; i < children; ++i) {
        int status = 0;
        pid_t pid = wait(&status);
        printf("reaped %d status %d\n", pid, WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
    }
    fflush(stdout);
    return 0;
}
