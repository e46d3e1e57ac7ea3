#include "program.h"

#include <iostream>

namespace omx::stress {

int exit_status(Verdict v) {
    switch (v) {
    case Verdict::pass: return kExitPass;
    case Verdict::skip: return kExitSkip;
    case Verdict::fail: break;
    }
    return kExitFail;
}

const char* verdict_word(Verdict v) {
    switch (v) {
    case Verdict::pass: return "PASS";
    case Verdict::skip: return "SKIP";
    case Verdict::fail: break;
    }
    return "FAIL";
}

std::string verdict_line(const std::string& name, Verdict v, const std::string& detail) {
    return name + ": " + verdict_word(v) + (detail.empty() ? "" : " " + detail);
}

int run_program(CLI::App& app, int argc, char** argv, const std::function<Outcome()>& test) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? kExitPass : kExitUsage;
    }
    Outcome outcome;
    try {
        outcome = test();
    } catch (const std::exception& e) {
        outcome = Outcome::fail(e.what());
    }
    std::cout << verdict_line(app.get_name(), outcome.verdict, outcome.detail) << std::endl;
    return exit_status(outcome.verdict);
}

int run_program(CLI::App& app, int argc, char** argv, const std::function<std::pair<bool, std::string>()>& test) {
    return run_program(app, argc, argv, std::function<Outcome()>([&] {
        auto [pass, detail] = test();
        return Outcome{pass ? Verdict::pass : Verdict::fail, detail};
    }));
}

}  // namespace omx::stress
