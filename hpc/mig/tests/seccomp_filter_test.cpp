#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "arch/arch.h"
#include "seccomp_filter.h"

using namespace omx::mig;

// A child under the filter: local calls run untouched, forwarded ones reach the listener,
// which here answers getpid with a made-up home PID and lets everything else run.
TEST(SeccompFilter, LocalCallsPassForwardedCallsReachTheListener) {
    auto prog = migrated_process_filter();
    ASSERT_GT(prog.size(), 10u);
    // The child tells its listener's fd number through shared memory: any system call to
    // say it (a write on a pipe) would already wait for the listener we do not have yet.
    auto* shared = static_cast<volatile int*>(
        mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE((void*)shared, MAP_FAILED);
    shared[0] = -1;
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        int listener = install_filter_with_listener(prog);
        shared[0] = listener;
        (void)!write(2, "", 0);                                 // forwarded: answered CONTINUE
        timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);                    // local
        void* anon = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);  // local
        long pid = syscall(SYS_getpid);                         // forwarded: answered 4242
        _exit(anon != MAP_FAILED && pid == 4242 ? 0 : 1);
    }
    for (int i = 0; i < 5000 && shared[0] < 0; ++i) usleep(1000);
    int child_listener = shared[0];
    ASSERT_GE(child_listener, 0);
    int pidfd = int(syscall(SYS_pidfd_open, child, 0));
    ASSERT_GE(pidfd, 0);
    int listener = int(syscall(SYS_pidfd_getfd, pidfd, child_listener, 0));
    ASSERT_GE(listener, 0) << strerror(errno);

    std::vector<long> notified;
    for (;;) {
        pollfd p{listener, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0 || (p.revents & (POLLHUP | POLLERR))) break;
        seccomp_notif req{};
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) continue;
        notified.push_back(req.data.nr);
        seccomp_notif_resp resp{};
        resp.id = req.id;
        if (req.data.nr == SYS_getpid) resp.val = 4242;
        else resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    EXPECT_NE(std::find(notified.begin(), notified.end(), SYS_getpid), notified.end());
    EXPECT_NE(std::find(notified.begin(), notified.end(), SYS_write), notified.end());
    EXPECT_EQ(std::find(notified.begin(), notified.end(), SYS_clock_gettime), notified.end());
    EXPECT_EQ(std::find(notified.begin(), notified.end(), omx::mig::arch::kSysMmap), notified.end());
    close(listener);
    close(pidfd);
    munmap((void*)shared, 4096);
}
