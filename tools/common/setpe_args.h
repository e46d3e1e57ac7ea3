#pragma once
// setpe's command line, openMosix spelling (single-dash words such as -off):
//   setpe -w|-W [-n inet] [-c] [-p ID] [-g 0|1|2] [-f file|-]
//   setpe -r [-f file|-]
//   setpe -off
//   setpe --status          (the text of /etc/init.d/openmosix status)
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace omx::tools {

enum class SetpeAction { Write, Read, Off, Status, Help, Version };

struct SetpeCommand {
    SetpeAction action = SetpeAction::Help;
    std::optional<std::string> file;  // -f; "-" = stdin (-w) or stdout (-r)
    bool check_only = false;          // -c: check the table, change nothing
    std::optional<uint16_t> my_id;    // -p: the id this node must have in the table
    std::optional<int> gateways;      // -g: gateway level 0..2
};

// Throws UsageError for a wrong combination (two actions, -c without -w...), ToolError for
// a bad value (-n other than inet, -g 3, -p 0).
SetpeCommand parse_setpe_args(const std::vector<std::string>& args);

std::string setpe_usage();

}  // namespace omx::tools
