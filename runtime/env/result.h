// Errors as values across the seam. A small stand-in for C++23 std::expected, which
// GCC 12 does not ship: a Result<T> holds either a value or an Error (code + message).
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace orbit {

enum class ErrorCode {
  kNotFound,        // the file, key or peer does not exist
  kAlreadyExists,   // exclusive create of something that exists
  kNoSpace,         // ENOSPC: the disk is full
  kIo,              // EIO or any other I/O failure the caller cannot fix
  kInvalidArgument, // a bad parameter (a negative offset, an oversize frame, ...)
  kCorrupt,         // data failed a checksum or could not be parsed
  kTimeout,         // the operation did not complete in time
  kUnavailable,     // the peer or service is not reachable now; a retry may work
  kConflict,        // a compare-and-set lost
  kRejected,        // refused by policy (a stale fencing token, a full node, ...)
  kCancelled,       // the operation was abandoned (shutdown, crash)
  kOverloaded,      // the target is over its bound (a full mailbox): not applied, retry later
};
inline constexpr ErrorCode kLastErrorCode = ErrorCode::kOverloaded;

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;

  friend bool operator==(const Error& a, const Error& b) {
    return a.code == b.code && a.message == b.message;
  }
};

std::string to_string(const Error& error);

// Result<T>: a value or an Error. Accessing the wrong alternative is a programming error
// and fails an assertion.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : data_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return data_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok() && "Result::value() on an error");
    return std::get<0>(data_);
  }
  const T& value() const& {
    assert(ok() && "Result::value() on an error");
    return std::get<0>(data_);
  }
  T&& value() && {
    assert(ok() && "Result::value() on an error");
    return std::get<0>(std::move(data_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  const Error& error() const {
    assert(!ok() && "Result::error() on a value");
    return std::get<1>(data_);
  }
  ErrorCode code() const { return error().code; }

 private:
  std::variant<T, Error> data_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_ && "Result::error() on a value");
    return error_;
  }
  ErrorCode code() const { return error().code; }

 private:
  Error error_{ErrorCode::kIo, {}};
  bool ok_ = true;
};

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace orbit
