/* noseccomp PROGRAM [ARGS...] — runs PROGRAM as on a kernel built without seccomp: a
 * seccomp filter makes seccomp() fail with ENOSYS and prctl(PR_SET_SECCOMP) with EINVAL,
 * which is what such a kernel answers. The kernel-check tests run omx-kernel-check and
 * omxd under it. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: noseccomp PROGRAM [ARGS...]\n");
        return 2;
    }
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    int rc = ctx ? 0 : -ENOMEM;
    if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(seccomp), 0);
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL), SCMP_SYS(prctl), 1,
                              SCMP_A0(SCMP_CMP_EQ, PR_SET_SECCOMP));
    if (rc == 0) rc = seccomp_load(ctx);
    if (rc != 0) {
        fprintf(stderr, "noseccomp: cannot install the filter: %s\n", strerror(-rc));
        return 1;
    }
    seccomp_release(ctx);
    execvp(argv[1], argv + 1);
    fprintf(stderr, "noseccomp: cannot run %s: %s\n", argv[1], strerror(errno));
    return 127;
}
