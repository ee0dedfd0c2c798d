#include "tools/real/processes.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace orbit::tools {

ProcessTable::~ProcessTable() { kill_all(); }

Result<pid_t> ProcessTable::spawn(const ChildSpec& spec) {
  const int out = ::open(spec.stdout_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) return Error{ErrorCode::kIo, "cannot open '" + spec.stdout_path + "': " + std::strerror(errno)};
  const int err = ::open(spec.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (err < 0) {
    ::close(out);
    return Error{ErrorCode::kIo, "cannot open '" + spec.stderr_path + "': " + std::strerror(errno)};
  }
  std::vector<std::string> argv_s;
  argv_s.push_back(spec.binary);
  for (const auto& a : spec.args) argv_s.push_back(a);
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out);
    ::close(err);
    return Error{ErrorCode::kIo, std::string("fork: ") + std::strerror(errno)};
  }
  if (pid == 0) {
    // The child: die with the launcher, own stdio, default signal handling.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    // Its own process group: a terminal's Ctrl-C reaches the launcher only, which then
    // decides (it kills and reaps every child).
    ::setpgid(0, 0);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::execv(spec.binary.c_str(), argv.data());
    std::fprintf(stderr, "exec %s: %s\n", spec.binary.c_str(), std::strerror(errno));
    ::_exit(127);
  }
  ::close(out);
  ::close(err);
  children_[pid] = spec.name;
  return pid;
}

Result<ReadyPorts> ProcessTable::await_ready(pid_t pid, const ChildSpec& spec, size_t skip_bytes, Duration limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    std::ifstream in(spec.stdout_path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    if (text.size() > skip_bytes) {
      std::istringstream lines(text.substr(skip_bytes));
      std::string line;
      while (std::getline(lines, line)) {
        unsigned t = 0, h = 0;
        if (std::sscanf(line.c_str(), "ready %u %u", &t, &h) == 2) {
          return ReadyPorts{static_cast<uint16_t>(t), static_cast<uint16_t>(h)};
        }
      }
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      children_.erase(pid);
      return Error{ErrorCode::kUnavailable, spec.name + " exited (" + describe_status(status) +
                                                ") before it was ready; its stderr ends with:\n" +
                                                file_tail(spec.stderr_path)};
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Error{ErrorCode::kTimeout, spec.name + " was not ready within " +
                                            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(limit).count()) +
                                            " ms; its stderr ends with:\n" + file_tail(spec.stderr_path)};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Result<void> ProcessTable::signal(pid_t pid, int sig) {
  if (!children_.contains(pid)) return Error{ErrorCode::kInvalidArgument, "process " + std::to_string(pid) + " is not running"};
  if (::kill(pid, sig) != 0) return Error{ErrorCode::kIo, "kill " + std::to_string(pid) + ": " + std::strerror(errno)};
  return {};
}

std::optional<int> ProcessTable::wait(pid_t pid, Duration limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) {
      children_.erase(pid);
      return status;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void ProcessTable::kill_all() {
  for (const auto& [pid, name] : children_) {
    ::kill(pid, SIGKILL);
    ::kill(pid, SIGCONT);
  }
  for (const auto& [pid, name] : children_) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  children_.clear();
}

std::vector<pid_t> ProcessTable::pids() const {
  std::vector<pid_t> out;
  for (const auto& [pid, name] : children_) out.push_back(pid);
  return out;
}

std::string file_tail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  if (text.size() > max_bytes) text = "..." + text.substr(text.size() - max_bytes);
  return text;
}

size_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
}

Result<std::vector<uint16_t>> pick_free_ports(size_t count) {
  std::vector<int> fds;
  std::vector<uint16_t> ports;
  Result<std::vector<uint16_t>> out = ports;
  for (size_t i = 0; i < count; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      out = Error{ErrorCode::kIo, std::string("socket: ") + std::strerror(errno)};
      break;
    }
    fds.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      out = Error{ErrorCode::kIo, std::string("bind a free port: ") + std::strerror(errno)};
      break;
    }
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) ::close(fd);
  if (!out.ok()) return out;
  return ports;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return "status " + std::to_string(status);
}

}  // namespace orbit::tools
