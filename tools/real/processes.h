// Child processes of the real-mode launcher (orbit-cluster): spawn, wait for the `ready`
// line, signal, reap, and make sure none outlives the launcher.
//
// Every child runs in its own process group (terminal signals reach only the launcher) and
// gets PR_SET_PDEATHSIG(SIGKILL), so even a SIGKILLed launcher leaves nothing
// behind; kill_all() (called on every exit path, including SIGINT/SIGTERM of the launcher)
// SIGKILLs and reaps whatever is still running. stdout and stderr of each child go to files
// in the run's log directory; the ready line is read from the stdout file.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/env/result.h"
#include "runtime/env/time.h"

namespace orbit::tools {

struct ChildSpec {
  std::string name;  // "store", "node-1"
  std::string binary;
  std::vector<std::string> args;
  std::string stdout_path;
  std::string stderr_path;
};

struct ReadyPorts {
  uint16_t transport = 0;
  uint16_t http = 0;
};

class ProcessTable {
 public:
  ProcessTable() = default;
  ~ProcessTable();  // kill_all()
  ProcessTable(const ProcessTable&) = delete;
  ProcessTable& operator=(const ProcessTable&) = delete;

  // Starts the child (stdout/stderr appended to their files). Errors: kIo.
  [[nodiscard]] Result<pid_t> spawn(const ChildSpec& spec);

  // Waits for a new `ready <transport> <http>` line in the child's stdout file (past
  // `skip_bytes`, the file's size before this start). Errors name the child and quote the
  // end of its stderr: it exited, or `limit` passed.
  [[nodiscard]] Result<ReadyPorts> await_ready(pid_t pid, const ChildSpec& spec, size_t skip_bytes, Duration limit);

  // Sends `signal` (SIGSTOP, SIGCONT, SIGTERM, SIGKILL).
  [[nodiscard]] Result<void> signal(pid_t pid, int signal);

  // Waits for the child to exit, up to `limit`; its wait status, or nullopt on timeout.
  std::optional<int> wait(pid_t pid, Duration limit);

  // SIGKILLs (and SIGCONTs, for stopped ones) and reaps every child still running.
  void kill_all();

  bool running(pid_t pid) const { return children_.contains(pid); }
  std::vector<pid_t> pids() const;

 private:
  std::map<pid_t, std::string> children_;  // running (not yet reaped) children
};

// The tail of a file (for error messages about a child).
std::string file_tail(const std::string& path, size_t max_bytes = 2000);
size_t file_size(const std::string& path);

// `count` distinct free loopback TCP ports (bound together, then released).
[[nodiscard]] Result<std::vector<uint16_t>> pick_free_ports(size_t count);

// Human-readable wait status: "exit 0", "signal 9 (Killed)".
std::string describe_status(int status);

}  // namespace orbit::tools
