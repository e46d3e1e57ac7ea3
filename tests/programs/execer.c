/* Remote exec probe.
 *   execer wait TRIGGER SPIN_MS [TARGET]: opens /dev/null twice, once close-on-exec; waits
 *     until the file TRIGGER exists, then execs TARGET (default: itself) as
 *     "execer check FD_CLOEXEC FD_KEPT SPIN_MS".
 *   execer check A B SPIN_MS: reports its PID and whether fd A is closed and fd B open
 *     (what exec must do to them), spins SPIN_MS of CPU and exits with 42. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

static const char* state(int fd) { return fcntl(fd, F_GETFD) < 0 ? "closed" : "open"; }

int main(int argc, char** argv) {
    if (argc >= 5 && strcmp(argv[1], "check") == 0) {
        int a = atoi(argv[2]), b = atoi(argv[3]);
        printf("after exec pid %d fd %d %s fd %d %s\n", getpid(), a, state(a), b, state(b));
        fflush(stdout);
        spin(atof(argv[4]));
        printf("done\n");
        return 42;
    }
    if (argc < 4 || strcmp(argv[1], "wait") != 0) return 2;
    int a = open("/dev/null", O_RDONLY | O_CLOEXEC), b = open("/dev/null", O_RDONLY);
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (a < 0 || b < 0 || n <= 0) return 3;
    self[n] = '\0';
    const char* target = argc > 4 ? argv[4] : self;
    printf("execer %d ready\n", getpid());
    fflush(stdout);
    struct stat st;
    while (stat(argv[2], &st) != 0) spin(20);
    char fa[16], fb[16];
    snprintf(fa, sizeof fa, "%d", a);
    snprintf(fb, sizeof fb, "%d", b);
    execl(target, "execer", "check", fa, fb, argv[3], (char*)NULL);
    perror("execl");
    return 1;
}
