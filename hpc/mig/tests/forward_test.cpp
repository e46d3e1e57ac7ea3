#include <gtest/gtest.h>
#include <sys/uio.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "forward.h"
#include "remote_part.h"
#include <sched.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <signal.h>

using namespace omx::mig;

TEST(Forward, GatherTakesInBuffersAndSizesOutBuffers) {
    ProcessMemory mem(getpid());
    const char text[] = "hello";
    uint64_t wargs[6] = {1, uint64_t(uintptr_t(text)), 5, 0, 0, 0};
    auto w = gather(*find_syscall(SYS_write), wargs, mem);
    ASSERT_EQ(w.in.at(1).size(), 5u);
    EXPECT_EQ(std::memcmp(w.in.at(1).data(), "hello", 5), 0);
    EXPECT_TRUE(w.out_size.empty());

    char buf[64];
    uint64_t rargs[6] = {0, uint64_t(uintptr_t(buf)), sizeof buf, 0, 0, 0};
    auto r = gather(*find_syscall(SYS_read), rargs, mem);
    EXPECT_TRUE(r.in.empty());
    EXPECT_EQ(r.out_size.at(1), sizeof buf);

    const char path[] = "/etc/hostname";
    uint64_t oargs[6] = {uint64_t(AT_FDCWD), uint64_t(uintptr_t(path)), O_RDONLY, 0, 0, 0};
    auto o = gather(*find_syscall(SYS_openat), oargs, mem);
    EXPECT_EQ(std::string(o.in.at(1).begin(), o.in.at(1).end()), std::string(path, sizeof path));
}

TEST(Forward, NullPointersStayNull) {
    ProcessMemory mem(getpid());
    uint64_t args[6] = {uint64_t(-1), 0, 0, 0, 0, 0};   // wait4(-1, NULL, 0, NULL)
    auto c = gather(*find_syscall(SYS_wait4), args, mem);
    EXPECT_TRUE(c.in.empty());
    EXPECT_TRUE(c.out_size.empty());
}

TEST(Forward, BadPointersAreEfaultNotCrashes) {
    ProcessMemory mem(getpid());
    uint64_t args[6] = {1, 0x10, 100, 0, 0, 0};
    try {
        gather(*find_syscall(SYS_write), args, mem);
        FAIL() << "no error";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), EFAULT);
    }
}

TEST(Forward, SpecialArgumentsDependOnTheRequest) {
    auto fcntl_row = *find_syscall(SYS_fcntl);
    uint64_t lock[6] = {3, F_SETLK, 0, 0, 0, 0}, flags[6] = {3, F_SETFL, O_NONBLOCK, 0, 0, 0};
    EXPECT_EQ(special_arg(fcntl_row, lock).kind, Arg::InOutFixed);
    EXPECT_EQ(special_arg(fcntl_row, flags).kind, Arg::Value);
    auto ioctl_row = *find_syscall(SYS_ioctl);
    uint64_t winsz[6] = {1, TIOCGWINSZ, 0, 0, 0, 0}, odd[6] = {1, 0xdead, 1, 0, 0, 0};
    EXPECT_EQ(special_arg(ioctl_row, winsz).size, 8u);
    ProcessMemory mem(getpid());
    EXPECT_THROW(gather(ioctl_row, odd, mem), std::invalid_argument);
    auto pselect_row = *find_syscall(SYS_pselect6);
    uint64_t plain[6] = {0, 0, 0, 0, 0, 0}, masked[6] = {0, 0, 0, 0, 0, 0x1000};
    EXPECT_EQ(special_arg(pselect_row, plain).kind, Arg::Value);
    EXPECT_THROW(gather(pselect_row, masked, mem), std::invalid_argument);
}

TEST(Forward, ScatterWritesOnlyWhatCameBack) {
    ProcessMemory mem(getpid());
    char buf[8] = "xxxxxxx";
    ForwardedCall call;
    call.args[1] = uint64_t(uintptr_t(buf));
    ForwardedResult res;
    res.ret = 3;
    res.out[1] = {'a', 'b', 'c'};
    scatter(call, res, mem);
    EXPECT_STREQ(buf, "abcxxxx");
}

TEST(Forward, VectoredCallsTravelAsOneBufferAndSpreadBack) {
    char a[] = "hello ", b[] = "world";
    struct iovec out[2] = {{a, 6}, {b, 5}};
    uint64_t wargs[6] = {1, uint64_t(reinterpret_cast<uintptr_t>(out)), 2, 0, 0, 0};
    ProcessMemory mem(getpid());
    ForwardedCall w = gather(*find_syscall(SYS_writev), wargs, mem);
    EXPECT_EQ(w.nr, SYS_write);
    EXPECT_EQ(w.args[2], 11u);
    EXPECT_EQ(std::string(w.in.at(1).begin(), w.in.at(1).end()), "hello world");

    char x[4] = {}, y[8] = {};
    struct iovec in[2] = {{x, 4}, {y, 8}};
    uint64_t rargs[6] = {0, uint64_t(reinterpret_cast<uintptr_t>(in)), 2, 0, 0, 0};
    ForwardedCall r = gather(*find_syscall(SYS_readv), rargs, mem);
    EXPECT_EQ(r.nr, SYS_read);
    EXPECT_EQ(r.out_size.at(1), 12u);
    ForwardedResult res;
    res.ret = 6;
    res.out[1] = {'a', 'b', 'c', 'd', 'e', 'f'};
    scatter(r, res, mem);
    EXPECT_EQ(std::string(x, 4), "abcd");
    EXPECT_EQ(std::string(y, 2), "ef");
    EXPECT_EQ(y[2], 0);
    uint64_t too_many[6] = {0, rargs[1], 100000, 0, 0, 0};
    EXPECT_THROW(gather(*find_syscall(SYS_readv), too_many, mem), std::system_error);
}

TEST(Forward, RecvmsgTravelsAsRecvfromAndFillsTheMessageBack) {
    ProcessMemory mem(getpid());
    char a[3], b[5];
    sockaddr_in from{};
    char control[64];
    iovec iov[2] = {{a, sizeof a}, {b, sizeof b}};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    msg.msg_flags = 77;
    uint64_t args[6] = {5, uint64_t(uintptr_t(&msg)), MSG_DONTWAIT, 0, 0, 0};
    EXPECT_THROW(gather(*find_syscall(SYS_recvmsg), args, mem), std::invalid_argument);   // ancillary data: home
    msg.msg_control = nullptr;
    msg.msg_controllen = 0;
    auto c = gather(*find_syscall(SYS_recvmsg), args, mem);
    EXPECT_EQ(c.nr, SYS_recvfrom);
    EXPECT_EQ(c.args[2], 8u);
    EXPECT_EQ(c.args[3], uint64_t(MSG_DONTWAIT));
    EXPECT_EQ(c.out_size.at(1), 8u);
    EXPECT_EQ(c.out_size.at(4), sizeof from);   // no more than the process's own buffer
    ForwardedResult r;
    r.ret = 6;
    r.out[1] = {'h', 'e', 'l', 'l', 'o', '!'};
    sockaddr_in sender{};
    sender.sin_family = AF_INET;
    sender.sin_port = htons(4660);
    r.out[4].assign(reinterpret_cast<uint8_t*>(&sender), reinterpret_cast<uint8_t*>(&sender) + sizeof sender);
    uint32_t len = sizeof sender;
    r.out[5].assign(reinterpret_cast<uint8_t*>(&len), reinterpret_cast<uint8_t*>(&len) + 4);
    scatter(c, r, mem);
    EXPECT_EQ(std::string(a, 3), "hel");
    EXPECT_EQ(std::string(b, 3), "lo!");
    EXPECT_EQ(from.sin_port, htons(4660));
    EXPECT_EQ(msg.msg_namelen, sizeof sender);
    EXPECT_EQ(msg.msg_flags, 0);
}

TEST(Forward, SendmsgTravelsAsSendtoAndControlDataIsRefused) {
    ProcessMemory mem(getpid());
    char a[] = "ab", b[] = "cde";
    iovec iov[2] = {{a, 2}, {b, 3}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    uint64_t args[6] = {5, uint64_t(uintptr_t(&msg)), 0, 0, 0, 0};
    auto c = gather(*find_syscall(SYS_sendmsg), args, mem);
    EXPECT_EQ(c.nr, SYS_sendto);
    EXPECT_EQ(std::string(c.in.at(1).begin(), c.in.at(1).end()), "abcde");
    EXPECT_EQ(c.args[4], 0u);   // no address
    char control[32] = {};
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    EXPECT_THROW(gather(*find_syscall(SYS_sendmsg), args, mem), std::invalid_argument);
    msg.msg_control = nullptr;
    msg.msg_controllen = 0;
    msg.msg_iovlen = 5000;
    try {
        gather(*find_syscall(SYS_sendmsg), args, mem);
        FAIL() << "no error";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), EMSGSIZE);
    }
}

TEST(Forward, AnAddressComesBackNoLargerThanTheProcessSaid) {
    ProcessMemory mem(getpid());
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    uint64_t args[6] = {3, uint64_t(uintptr_t(&addr)), uint64_t(uintptr_t(&len)), 0, 0, 0};
#ifdef SYS_accept
    auto c = gather(*find_syscall(SYS_accept), args, mem);
#else
    auto c = gather(*find_syscall(SYS_accept4), args, mem);   // i386: accept is accept4 with no flags
#endif
    EXPECT_EQ(c.out_size.at(1), sizeof addr);   // not the 128 bytes of the largest address
}

TEST(RemoteFork, OnlyCallsWhoseChildIsACopyForkWhereTheProcessRuns) {
    uint64_t none[6] = {};
    EXPECT_TRUE(forkable_call(SYS_fork, none));
    EXPECT_TRUE(forkable_call(SYS_vfork, none));
    uint64_t glibc_fork[6] = {CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD};
    EXPECT_TRUE(forkable_call(SYS_clone, glibc_fork));
    EXPECT_EQ(fork_exit_signal(SYS_clone, glibc_fork), SIGCHLD);
    EXPECT_EQ(fork_exit_signal(SYS_fork, none), SIGCHLD);
    uint64_t thread[6] = {CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SETTLS};
    EXPECT_FALSE(forkable_call(SYS_clone, thread));
    uint64_t spawn[6] = {CLONE_VM | CLONE_VFORK | SIGCHLD};
    EXPECT_FALSE(forkable_call(SYS_clone, spawn));
    uint64_t newns[6] = {CLONE_NEWNS | SIGCHLD};
    EXPECT_FALSE(forkable_call(SYS_clone, newns));
    uint64_t pidfd[6] = {CLONE_PIDFD | SIGCHLD};
    EXPECT_FALSE(forkable_call(SYS_clone, pidfd));
    EXPECT_FALSE(forkable_call(SYS_clone3, none));
    EXPECT_FALSE(forkable_call(SYS_getpid, none));
}
