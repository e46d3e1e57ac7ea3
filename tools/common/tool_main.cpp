#include "tool_main.h"

#include <iostream>

#include "common/control.h"
#include "common/map.h"

namespace omx::tools {

std::string error_line(const std::string& tool, const std::string& message) {
    return tool + ": " + message;
}

int run_tool(const std::string& tool, const std::function<int()>& body,
             const std::string& not_running_text) {
    try {
        return body();
    } catch (const UsageError& e) {
        std::cerr << error_line(tool, e.what()) << "\n"
                  << "Try '" << tool << " --help' for more information.\n";
        return kExitUsage;
    } catch (const control::NotRunning&) {
        std::cerr << error_line(tool, not_running_text) << "\n";
        return kExitFailure;
    } catch (const std::exception& e) {
        // CommandError (the daemon's own one-line reason), MapError, ToolError, I/O errors.
        std::cerr << error_line(tool, e.what()) << "\n";
        return kExitFailure;
    }
}

}  // namespace omx::tools
