// Prometheus text exposition of the node table, local load and message counters.
#include <fmt/format.h>

#include "daemon.h"

namespace omx {

std::string Daemon::metrics_text() const {
    std::string out;
    auto family = [&](const char* name, const char* type, const char* help) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    };
    auto per_node = [&](const char* name, const char* help, auto value) {
        family(name, "gauge", help);
        for (const auto& [id, r] : table_.nodes())
            if (r.latest) out += fmt::format("{}{{node=\"{}\"}} {}\n", name, id, value(r));
    };
    family("omx_info", "gauge", "Build and role of this daemon.");
    out += fmt::format("omx_info{{version=\"{}\",self=\"{}\",mode=\"{}\"}} 1\n", OMX_VERSION,
                       table_.self(), to_string(mode_));
    family("omx_nodes_configured", "gauge", "Nodes in the configuration.");
    out += fmt::format("omx_nodes_configured {}\n", table_.configured());
    family("omx_nodes_up", "gauge", "Nodes currently up, this one included.");
    out += fmt::format("omx_nodes_up {}\n", table_.up_count());
    family("omx_node_up", "gauge", "1 when the node is up.");
    for (const auto& [id, r] : table_.nodes()) out += fmt::format("omx_node_up{{node=\"{}\"}} {}\n", id, r.up ? 1 : 0);
    per_node("omx_node_load", "openMosix load (100 = one process on one speed-100 CPU).",
             [](const NodeRecord& r) { return r.latest->load; });
    per_node("omx_node_speed", "Node speed (100 = 1 GHz scalar core).",
             [](const NodeRecord& r) { return r.latest->speed; });
    per_node("omx_node_cpus", "CPUs of the node.", [](const NodeRecord& r) { return r.latest->cpus; });
    per_node("omx_node_util_percent", "CPU utilisation of the node.",
             [](const NodeRecord& r) { return r.latest->util; });
    per_node("omx_node_mem_bytes", "Memory available as omxd believes.",
             [](const NodeRecord& r) { return r.latest->mem * 4096; });
    per_node("omx_node_rmem_bytes", "Memory free as Linux believes.",
             [](const NodeRecord& r) { return r.latest->rmem * 4096; });
    per_node("omx_node_tmem_bytes", "Total memory.", [](const NodeRecord& r) { return r.latest->tmem * 4096; });
    family("omx_local_runnable", "gauge", "Runnable tasks at the last sample.");
    out += fmt::format("omx_local_runnable {}\n", meter_.runnable());
    family("omx_messages_total", "counter", "Info-daemon datagrams by outcome.");
    const auto counters = transport_.counters().to_json();
    for (const auto& [k, v] : counters.items())
        out += fmt::format("omx_messages_total{{kind=\"{}\"}} {}\n", k, v.get<uint64_t>());
    return out;
}

}  // namespace omx
