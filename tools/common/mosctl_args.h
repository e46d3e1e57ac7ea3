#pragma once
// mosctl's command line: one verb (openMosix spelling) and its operands. The verb table
// is the single source for parsing, --help and the man page's synopsis.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace omx::tools {

enum class MosctlVerb {
    SetFlag,   // stay, nostay, block, ... -> {"cmd":"set","key":K,"value":0|1}
    Expel,
    Bring,
    GetTune,
    GetYard,
    GetDecay,
    Whois,
    GetLoad,
    GetSpeed,
    GetMem,
    GetFree,
    GetUtil,
    Status,
    IsUp,
    SetYard,
    SetSpeed,
    SetDecay,
    NodeVersion,
    Help,
    Version,
};

struct VerbSpec {
    const char* name;
    MosctlVerb verb;
    int min_args;
    int max_args;
    const char* flag_key;  // SetFlag: the admin key it sets
    int flag_value;        // SetFlag: 0 or 1
    const char* operands;  // for the usage text
    const char* summary;
};

// Every verb mosctl knows, in the order --help lists them.
const std::vector<VerbSpec>& mosctl_verbs();

struct MosctlCommand {
    MosctlVerb verb = MosctlVerb::Help;
    std::string name;               // the verb as typed
    std::string flag_key;           // SetFlag
    int flag_value = 0;             // SetFlag
    std::vector<std::string> args;  // operands as typed
    std::optional<uint16_t> node;   // getters/status/isup: the node asked about
    std::vector<long long> numbers; // setspeed / setdecay operands, validated
};

// Throws UsageError for an unknown verb or a wrong number of operands, ToolError for an
// operand of the wrong kind (a node id that is not 1..65535, a speed that is no number).
MosctlCommand parse_mosctl_args(const std::vector<std::string>& args);

std::string mosctl_usage();

// Bounds the daemon enforces too; checked here so a bad setdecay changes nothing.
inline constexpr long long kMaxSpeed = 1000000;
inline constexpr long long kMaxDecayInterval = 3600;
inline constexpr long long kMaxDecay = 1000;

}  // namespace omx::tools
