#include "mosctl_args.h"

#include <fmt/format.h>

#include "numbers.h"
#include "tool_main.h"

namespace omx::tools {

const std::vector<VerbSpec>& mosctl_verbs() {
    using V = MosctlVerb;
    static const std::vector<VerbSpec> verbs = {
        {"stay", V::SetFlag, 0, 0, "stay", 1, "", "no automatic migration away from this node"},
        {"nostay", V::SetFlag, 0, 0, "stay", 0, "", "allow automatic migration (default)"},
        {"lstay", V::SetFlag, 0, 0, "lstay", 1, "", "local processes stay here"},
        {"nolstay", V::SetFlag, 0, 0, "lstay", 0, "", "local processes may migrate (default)"},
        {"block", V::SetFlag, 0, 0, "block", 1, "", "refuse arriving guest processes"},
        {"noblock", V::SetFlag, 0, 0, "block", 0, "", "accept guest processes (default)"},
        {"quiet", V::SetFlag, 0, 0, "quiet", 1, "", "stop sending load information"},
        {"noquiet", V::SetFlag, 0, 0, "quiet", 0, "", "send load information (default)"},
        {"nomfs", V::SetFlag, 0, 0, "nomfs", 1, "", "refuse oMFS access to this node's files; DFSA off"},
        {"mfs", V::SetFlag, 0, 0, "nomfs", 0, "", "allow oMFS access and DFSA (default)"},
        {"expel", V::Expel, 0, 0, nullptr, 0, "", "send guest processes home and wait"},
        {"bring", V::Bring, 0, 0, nullptr, 0, "", "bring this node's processes home and wait"},
        {"gettune", V::GetTune, 0, 0, nullptr, 0, "", "print the overhead parameters"},
        {"getyard", V::GetYard, 0, 0, nullptr, 0, "", "print the yardstick"},
        {"getdecay", V::GetDecay, 0, 0, nullptr, 0, "", "print: interval slow fast"},
        {"whois", V::Whois, 0, 1, nullptr, 0, "[id|IP|hostname]", "name a node (default: this one)"},
        {"getload", V::GetLoad, 0, 1, nullptr, 0, "[id]", "print the openMosix load"},
        {"getspeed", V::GetSpeed, 0, 1, nullptr, 0, "[id]", "print the openMosix speed"},
        {"getmem", V::GetMem, 0, 1, nullptr, 0, "[id]", "print free memory as openMosix sees it (bytes)"},
        {"getfree", V::GetFree, 0, 1, nullptr, 0, "[id]", "print free memory as Linux sees it (bytes)"},
        {"getutil", V::GetUtil, 0, 1, nullptr, 0, "[id]", "print the CPU utilisation (percent)"},
        {"status", V::Status, 0, 1, nullptr, 0, "[id]", "print a node's state and settings"},
        {"isup", V::IsUp, 0, 1, nullptr, 0, "[id]", "ping a node: print up (exit 0) or down (exit 1)"},
        {"setyard", V::SetYard, 1, 1, nullptr, 0, "Processor-Type|id|this", "set the yardstick"},
        {"setspeed", V::SetSpeed, 1, 1, nullptr, 0, "N", "set this node's speed (0 = calibrated)"},
        {"setdecay", V::SetDecay, 1, 3, nullptr, 0, "interval [slow fast]", "set the decay parameters"},
        {"version", V::NodeVersion, 0, 0, nullptr, 0, "", "print the node's openMosix version, oMFS and DFSA"},
    };
    return verbs;
}

namespace {

// openMosix's mosctl also took "-stay" for "nostay" and so on.
const VerbSpec* find_verb(std::string name) {
    if (name == "-stay" || name == "-lstay" || name == "-block" || name == "-quiet")
        name = "no" + name.substr(1);
    for (const auto& v : mosctl_verbs())
        if (name == v.name) return &v;
    return nullptr;
}

long long number_operand(const std::string& verb, const std::string& what, const std::string& s,
                         long long lo, long long hi) {
    auto v = parse_count(s);
    if (!v || *v < lo || *v > hi)
        throw ToolError(fmt::format("{}: {} must be a number {}..{}, not '{}'", verb, what, lo, hi, s));
    return *v;
}

void check_operand_count(const VerbSpec& spec, size_t n) {
    if (int(n) < spec.min_args || int(n) > spec.max_args ||
        (spec.verb == MosctlVerb::SetDecay && n == 2))
        throw UsageError(spec.operands[0] ? fmt::format("usage: mosctl {} {}", spec.name, spec.operands)
                                          : fmt::format("'{}' takes no operands", spec.name));
}

void parse_operands(MosctlCommand& c) {
    using V = MosctlVerb;
    switch (c.verb) {
        case V::GetLoad: case V::GetSpeed: case V::GetMem: case V::GetFree: case V::GetUtil:
        case V::Status: case V::IsUp:
            if (!c.args.empty()) {
                c.node = parse_node_id(c.args[0]);
                if (!c.node) throw ToolError(fmt::format("bad node id '{}' (1..65535)", c.args[0]));
            }
            break;
        case V::SetSpeed:
            c.numbers.push_back(number_operand("setspeed", "the speed", c.args[0], 0, kMaxSpeed));
            break;
        case V::SetDecay:
            c.numbers.push_back(number_operand("setdecay", "the interval", c.args[0], 1, kMaxDecayInterval));
            if (c.args.size() == 3) {
                c.numbers.push_back(number_operand("setdecay", "slow decay", c.args[1], 1, kMaxDecay));
                c.numbers.push_back(number_operand("setdecay", "fast decay", c.args[2], 1, kMaxDecay));
            }
            break;
        default:
            break;
    }
}

}  // namespace

MosctlCommand parse_mosctl_args(const std::vector<std::string>& args) {
    MosctlCommand c;
    if (args.empty()) throw UsageError("no command given");
    c.name = args[0];
    if (c.name == "--help" || c.name == "-h" || c.name == "help") return c;
    if (c.name == "--version" || c.name == "-V") {
        c.verb = MosctlVerb::Version;
        return c;
    }
    const VerbSpec* spec = find_verb(c.name);
    if (!spec) throw UsageError(fmt::format("unknown command '{}'", c.name));
    c.args.assign(args.begin() + 1, args.end());
    check_operand_count(*spec, c.args.size());
    c.verb = spec->verb;
    if (spec->flag_key) {
        c.flag_key = spec->flag_key;
        c.flag_value = spec->flag_value;
    }
    parse_operands(c);
    return c;
}

std::string mosctl_usage() {
    std::string out =
        "Usage: mosctl COMMAND [OPERANDS]\n"
        "openMosix administration: changes and queries this node's omxd.\n\nCommands:\n";
    for (const auto& v : mosctl_verbs()) {
        std::string synopsis = v.operands[0] ? fmt::format("{} {}", v.name, v.operands) : v.name;
        out += fmt::format("  {:<32} {}\n", synopsis, v.summary);
    }
    out += "\nChanging commands need root. Set OMX_CONTROL_SOCKET to talk to another omxd.\n"
           "Exit status: 0 done, 1 failed (or node down for isup), 2 bad command line.\n";
    return out;
}

}  // namespace omx::tools
