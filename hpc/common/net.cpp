#include "net.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace omx {

std::optional<uint32_t> parse_ipv4(const std::string& s) {
    in_addr a{};
    if (inet_pton(AF_INET, s.c_str(), &a) != 1) return std::nullopt;
    return a.s_addr;
}

std::string format_ipv4(uint32_t ip) {
    char buf[INET_ADDRSTRLEN];
    in_addr a{};
    a.s_addr = ip;
    inet_ntop(AF_INET, &a, buf, sizeof buf);
    return buf;
}

std::optional<uint32_t> resolve_ipv4(const std::string& host) {
    if (auto ip = parse_ipv4(host)) return ip;
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res) return std::nullopt;
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
    return reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr.s_addr;
}

std::optional<std::string> reverse_lookup(uint32_t ip) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = ip;
    char host[NI_MAXHOST];
    if (getnameinfo(reinterpret_cast<sockaddr*>(&sa), sizeof sa, host, sizeof host, nullptr, 0,
                    NI_NAMEREQD) != 0)
        return std::nullopt;
    return std::string(host);
}

namespace {
template <typename F>
void for_each_ipv4(F&& f) {
    ifaddrs* ifa = nullptr;
    if (getifaddrs(&ifa) != 0) return;
    std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> guard(ifa, freeifaddrs);
    for (auto* p = ifa; p; p = p->ifa_next)
        if (p->ifa_addr && p->ifa_addr->sa_family == AF_INET)
            f(std::string(p->ifa_name), reinterpret_cast<sockaddr_in*>(p->ifa_addr)->sin_addr.s_addr);
}
}  // namespace

std::vector<uint32_t> local_ipv4_addresses() {
    std::vector<uint32_t> out;
    for_each_ipv4([&](const std::string&, uint32_t ip) { out.push_back(ip); });
    return out;
}

std::optional<uint32_t> interface_ipv4(const std::string& ifname) {
    std::optional<uint32_t> out;
    for_each_ipv4([&](const std::string& name, uint32_t ip) {
        if (name == ifname && !out) out = ip;
    });
    return out;
}

std::optional<std::string> default_route_interface() {
    std::ifstream in("/proc/net/route");
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::string iface, dest, gw, flags;
        if (!(f >> iface >> dest >> gw >> flags)) continue;
        if (dest == "00000000") return iface;
    }
    return std::nullopt;
}

uint32_t my_display_address() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) == 0)
        if (auto ip = resolve_ipv4(name)) return *ip;
    for (uint32_t ip : local_ipv4_addresses())
        if ((ntohl(ip) >> 24) != 127) return ip;
    return htonl(INADDR_LOOPBACK);
}

}  // namespace omx
