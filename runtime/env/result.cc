#include "runtime/env/result.h"

namespace orbit {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kAlreadyExists: return "already_exists";
    case ErrorCode::kNoSpace: return "no_space";
    case ErrorCode::kIo: return "io_error";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kCorrupt: return "corrupt";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kRejected: return "rejected";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kOverloaded: return "overloaded";
  }
  return "unknown";
}

std::string to_string(const Error& error) {
  std::string out(to_string(error.code));
  if (!error.message.empty()) {
    out += ": ";
    out += error.message;
  }
  return out;
}

}  // namespace orbit
