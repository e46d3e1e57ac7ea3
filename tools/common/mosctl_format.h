#pragma once
// What mosctl prints. Getters print one bare integer so scripts can use $(mosctl getload);
// status is the one human-readable block.
#include <optional>
#include <string>

#include "model.h"
#include "mosctl_args.h"

namespace omx::tools {

struct WhoisAnswer {
    uint16_t id = 0;
    std::string address;
    std::string host;
};

// No query: "This is openMosix #1". A query: "openMosix #3 is 10.210.0.3 (node3)",
// the host in parentheses only when it says more than the address.
std::string whois_text(const WhoisAnswer& a, bool asked_about_this_node);

// getdecay: "interval slow fast" — the operand order of setdecay, so
// `mosctl setdecay $(mosctl getdecay)` restores saved values.
std::string decay_text(const AdminInfo& a);

// gettune: the overhead parameters as set, or "default" when none were.
std::string tune_text(const AdminInfo& a);

// The single integer a getter prints (memory in bytes, pages * 4096).
long long getter_value(MosctlVerb verb, const NodeInfo& n);

// mosctl status: one "label: value" line per fact; `admin` adds this node's own settings.
std::string node_status_text(const NodeInfo& n, const AdminInfo* admin);

// mosctl setyard: the yardstick for a processor name ("PIII", "Pentium-III"...), or nullopt.
std::optional<long long> processor_yardstick(const std::string& name);

}  // namespace omx::tools
