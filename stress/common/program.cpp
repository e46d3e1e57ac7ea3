#include "program.h"

#include <iostream>

#include "workers.h"

namespace omx::stress {

int run_program(CLI::App& app, int argc, char** argv, const std::function<std::pair<bool, std::string>()>& test) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    try {
        auto [pass, detail] = test();
        std::cout << verdict_line(app.get_name(), pass, detail) << std::endl;
        return pass ? 0 : 1;
    } catch (const std::exception& e) {
        std::cout << verdict_line(app.get_name(), false, e.what()) << std::endl;
        return 1;
    }
}

}  // namespace omx::stress
