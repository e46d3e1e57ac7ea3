/* The HOWTO's pipe test: the parent writes numbered lines into a pipe, the child reads
 * them and prints each one with a running sum, so a lost or repeated line shows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
    int lines = argc > 1 ? atoi(argv[1]) : 50;
    long period_ms = argc > 2 ? atol(argv[2]) : 100;
    int fds[2];
    if (pipe(fds) != 0) return 1;
    pid_t child = fork();
    if (child == 0) {
        close(fds[1]);
        FILE* in = fdopen(fds[0], "r");
        char line[64];
        long sum = 0;
        while (fgets(line, sizeof line, in)) {
            sum += atol(line);
            printf("got %ld sum %ld\n", atol(line), sum);
            fflush(stdout);
        }
        return 0;
    }
    close(fds[0]);
    struct timespec ts = {period_ms / 1000, (period_ms % 1000) * 1000000L};
    for (int i = 1; i <= lines; ++i) {
        char line[32];
        int n = snprintf(line, sizeof line, "%d\n", i);
        if (write(fds[1], line, (size_t)n) != n) return 2;
        nanosleep(&ts, NULL);
    }
    close(fds[1]);
    int status = 0;
    waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}
