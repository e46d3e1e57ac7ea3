#include "common/run_record.h"

#include <stdexcept>

namespace omx::harness {

const char* to_string(Status s) {
    switch (s) {
        case Status::Pass: return "pass";
        case Status::Fail: return "fail";
        case Status::Broken: return "brok";
        case Status::Skip: return "conf";
    }
    return "brok";
}

Status status_from_string(const std::string& s) {
    if (s == "pass") return Status::Pass;
    if (s == "fail") return Status::Fail;
    if (s == "brok") return Status::Broken;
    if (s == "conf") return Status::Skip;
    throw std::invalid_argument("bad status '" + s + "' (pass, fail, brok or conf)");
}

}  // namespace omx::harness
