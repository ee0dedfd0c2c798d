#include "runtime/real/jsonl_recorder.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace orbit::real {

int64_t true_time_ns(int64_t epoch_ns) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec - epoch_ns;
}

std::string history_line(int64_t time_ns, int64_t node, const std::string& kind, nlohmann::json data) {
  if (data.is_null()) data = nlohmann::json::object();
  nlohmann::json line = nlohmann::json::object();
  line["t"] = time_ns;
  line["node"] = node;
  line["kind"] = kind;
  line["data"] = std::move(data);
  // Replace invalid UTF-8 rather than throw: error messages may carry arbitrary bytes.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::unique_ptr<JsonlRecorder>> JsonlRecorder::open(const std::string& path, int64_t node, int64_t epoch_ns) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Error{ErrorCode::kIo, "cannot open history file '" + path + "': " + std::strerror(errno)};
  }
  return std::make_unique<JsonlRecorder>(fd, path, node, epoch_ns);
}

JsonlRecorder::JsonlRecorder(int fd, std::string path, int64_t node, int64_t epoch_ns)
    : fd_(fd), path_(std::move(path)), node_(node), epoch_ns_(epoch_ns) {}

JsonlRecorder::~JsonlRecorder() { ::close(fd_); }

void JsonlRecorder::record(std::string kind, nlohmann::json data) { record_for(node_, std::move(kind), std::move(data)); }

void JsonlRecorder::record_for(int64_t node, std::string kind, nlohmann::json data) {
  std::lock_guard lock(mutex_);
  // Stamped under the lock, so times within one file never decrease.
  std::string line = history_line(true_time_ns(epoch_ns_), node, kind, std::move(data));
  line += '\n';
  ssize_t n;
  do {
    n = ::write(fd_, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(line.size())) {
    ++lines_written_;
    return;
  }
  if (write_errors_++ == 0) {
    std::fprintf(stderr, "history '%s': write failed (%s); later failures are only counted\n", path_.c_str(),
                 n < 0 ? std::strerror(errno) : "short write");
  }
}

}  // namespace orbit::real
