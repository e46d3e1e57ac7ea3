#pragma once
// IPv4 helpers: parsing, formatting, local addresses, the default interface, node ids.
#include <arpa/inet.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace omx {

std::optional<uint32_t> parse_ipv4(const std::string& s);   // network byte order
std::string format_ipv4(uint32_t ip);                       // network byte order in
std::optional<uint32_t> resolve_ipv4(const std::string& host);
std::optional<std::string> reverse_lookup(uint32_t ip);

// Every IPv4 address of this network namespace (loopback included).
std::vector<uint32_t> local_ipv4_addresses();
std::optional<uint32_t> interface_ipv4(const std::string& ifname);
// The interface that carries the default route (from /proc/net/route), if any.
std::optional<std::string> default_route_interface();

// The address openMosix shows for "my IP address": what the hostname resolves to,
// else the first non-loopback address, else 127.0.0.1.
uint32_t my_display_address();

// openMosix autodiscovery: the node id is the low 16 bits of the IPv4 address.
inline uint16_t node_id_from_ipv4(uint32_t ip_net_order) {
    return uint16_t(ntohl(ip_net_order) & 0xffff);
}

}  // namespace omx
