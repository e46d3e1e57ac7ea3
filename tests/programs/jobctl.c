/* Job control of a child, as a shell does it: starts PROGRAM as its child and reports
 * "child PID"; then, each time the file TRIGGER appears (the driver removes it after each
 * step), does the next step and reports what its wait saw:
 *   1. SIGTSTP, wait WUNTRACED  -> "stopped SIG"
 *   2. SIGCONT, wait WCONTINUED -> "continued"
 *   3. SIGTERM, wait            -> "ended signal SIG" or "ended status N"
 *   usage: jobctl TRIGGER PROGRAM [ARGS...] */
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void await(const char* trigger) {
    struct stat st;
    while (stat(trigger, &st) != 0) usleep(20000);
    unlink(trigger);
}

int main(int argc, char** argv) {
    if (argc < 3) return 2;
    /* The child gets a process group of its own, as a shell gives each job: a stop signal
     * to a group with no parent outside it (an orphaned group) is dropped by the kernel. */
    pid_t child = fork();
    if (child == 0) {
        setpgid(0, 0);
        execv(argv[2], argv + 2);
        _exit(127);
    }
    setpgid(child, child);
    printf("child %d\n", child);
    fflush(stdout);
    int status = 0;
    await(argv[1]);
    kill(child, SIGTSTP);
    waitpid(child, &status, WUNTRACED);
    printf(WIFSTOPPED(status) ? "stopped %d\n" : "not stopped %d\n", WIFSTOPPED(status) ? WSTOPSIG(status) : status);
    fflush(stdout);
    await(argv[1]);
    kill(child, SIGCONT);
    waitpid(child, &status, WCONTINUED);
    printf(WIFCONTINUED(status) ? "continued\n" : "not continued %d\n", status);
    fflush(stdout);
    await(argv[1]);
    kill(child, SIGTERM);
    waitpid(child, &status, 0);
    if (WIFSIGNALED(status)) printf("ended signal %d\n", WTERMSIG(status));
    else printf("ended status %d\n", WEXITSTATUS(status));
    return 0;
}
