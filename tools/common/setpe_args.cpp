#include "setpe_args.h"

#include <fmt/format.h>

#include "numbers.h"
#include "tool_main.h"

namespace omx::tools {

namespace {

void set_action(SetpeCommand& c, std::optional<SetpeAction>& seen, SetpeAction a, const std::string& opt) {
    if (seen && *seen != a) throw UsageError(fmt::format("{} cannot be combined with another of -w, -r, -off", opt));
    seen = a;
    c.action = a;
}

// The value after an option such as -f FILE; `i` moves past it.
const std::string& option_value(const std::vector<std::string>& args, size_t& i) {
    if (i + 1 >= args.size()) throw UsageError(fmt::format("option {} needs a value", args[i]));
    return args[++i];
}

void apply_value_option(SetpeCommand& c, const std::string& opt, const std::string& value) {
    if (opt == "-f") {
        c.file = value;
    } else if (opt == "-n") {
        // openMosix reserved -n for other network protocols; only IPv4 ever existed.
        if (value != "inet") throw ToolError(fmt::format("unsupported network protocol '{}' (only inet)", value));
    } else if (opt == "-p") {
        c.my_id = parse_node_id(value);
        if (!c.my_id) throw ToolError(fmt::format("bad openMosix-ID '{}' (1..65535)", value));
    } else if (opt == "-g") {
        auto g = parse_count(value);
        if (!g || *g > 2) throw ToolError(fmt::format("bad gateway level '{}' (0, 1 or 2)", value));
        c.gateways = int(*g);
    }
}

void check_combination(const SetpeCommand& c, const std::optional<SetpeAction>& action, bool write_only_opts) {
    if (!action) throw UsageError("say what to do: -w, -r or -off");
    if (write_only_opts && c.action != SetpeAction::Write)
        throw UsageError("-n, -c, -p and -g go with -w");
    if (c.file && c.action != SetpeAction::Write && c.action != SetpeAction::Read)
        throw UsageError("-f goes with -w or -r");
}

}  // namespace

SetpeCommand parse_setpe_args(const std::vector<std::string>& args) {
    SetpeCommand c;
    std::optional<SetpeAction> action;
    bool write_only_opts = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            c.action = SetpeAction::Help;
            return c;
        }
        if (a == "--version" || a == "-V") {
            c.action = SetpeAction::Version;
            return c;
        }
        if (a == "-w" || a == "-W") set_action(c, action, SetpeAction::Write, a);
        else if (a == "-r") set_action(c, action, SetpeAction::Read, a);
        else if (a == "-off") set_action(c, action, SetpeAction::Off, a);
        else if (a == "--status" || a == "-status") set_action(c, action, SetpeAction::Status, a);
        else if (a == "-c") c.check_only = write_only_opts = true;
        else if (a == "-f" || a == "-n" || a == "-p" || a == "-g") {
            write_only_opts |= a != "-f";
            apply_value_option(c, a, option_value(args, i));
        } else throw UsageError(fmt::format("unknown option '{}'", a));
    }
    check_combination(c, action, write_only_opts);
    return c;
}

std::string setpe_usage() {
    return "Usage: setpe -w|-W [-n inet] [-c] [-p ID] [-g 0|1|2] [-f FILE|-]\n"
           "       setpe -r [-f FILE|-]\n"
           "       setpe -off\n"
           "       setpe --status\n"
           "Configures which nodes form the openMosix cluster (through this node's omxd).\n\n"
           "  -w, -W     read a table and make it the cluster configuration; the table comes\n"
           "             from FILE, '-' is standard input (default: the first of\n"
           "             /etc/openmosix.map, /etc/mosix.map, /etc/hpc.map)\n"
           "  -r         print the current configuration in map syntax (to FILE with -f)\n"
           "  -off       leave the cluster: this node stops sending and accepting load news\n"
           "  --status   print what '/etc/init.d/openmosix status' prints\n"
           "  -c         with -w: only check the table (syntax, names, this node's address)\n"
           "  -p ID      with -w: this node must be openMosix-ID in the table\n"
           "  -g 0|1|2   with -w: number of gateway hops between node groups\n"
           "  -n inet    with -w: network protocol; IPv4 is the only one\n"
           "  -f FILE    table to read (-w) or write (-r); '-' = standard input/output\n\n"
           "Table lines: first-id address count   (count ALIAS: extra address of a node)\n";
}

}  // namespace omx::tools
