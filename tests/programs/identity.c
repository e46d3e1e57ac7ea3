/* Prints its PID and parent PID every PERIOD ms, then exits with status CODE: after a
 * migration the answers must still be the home identities, and the parent must see CODE.
 *   usage: identity [lines] [period_ms] [code] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
    long lines = argc > 1 ? atol(argv[1]) : 20;
    long period_ms = argc > 2 ? atol(argv[2]) : 50;
    int code = argc > 3 ? atoi(argv[3]) : 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (long i = 0; i < lines; ++i) {
        printf("%ld pid %d ppid %d\n", i, (int)getpid(), (int)getppid());
        struct timespec ts = {period_ms / 1000, (period_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return code;
}
