#include "pipes.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace omx::stress {

bool send_number(int fd, int64_t x) {
    for (;;) {
        ssize_t n = ::write(fd, &x, sizeof x);
        if (n < 0 && errno == EINTR) continue;
        return n == ssize_t(sizeof x);   // a pipe takes 8 bytes whole
    }
}

std::optional<int64_t> receive_number(int fd, std::chrono::milliseconds limit) {
    char buf[sizeof(int64_t)];
    size_t got = 0;
    auto until = std::chrono::steady_clock::now() + limit;
    while (got < sizeof buf) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        pollfd p{fd, POLLIN, 0};
        int r = ::poll(&p, 1, int(left.count()));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return std::nullopt;
        ssize_t n = ::read(fd, buf + got, sizeof buf - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return std::nullopt;
        got += size_t(n);
    }
    int64_t x;
    std::memcpy(&x, buf, sizeof x);
    return x;
}

}  // namespace omx::stress
