#include "runtime/real/jsonl_recorder.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "reports/history_jsonl.h"

namespace orbit::real {

int64_t true_time_ns(int64_t epoch_ns) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec - epoch_ns;
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

history::Sym JsonlRecorder::intern(std::string_view s) {
  std::lock_guard lock(mutex_);
  return names_.intern(s);
}

void JsonlRecorder::record(history::Payload event) { record_for(node_, std::move(event)); }

void JsonlRecorder::record_for(int64_t node, history::Payload event) {
  std::lock_guard lock(mutex_);
  // Stamped under the lock, so times within one file never decrease.
  const history::Event stamped{true_time_ns(epoch_ns_), node, std::move(event)};
  std::string line = reports::render_event(names_, stamped);
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
