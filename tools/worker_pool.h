// Runs commands as child processes, at most `jobs` at a time, and collects each one's
// standard output and how it ended. The campaign's parallelism: one simulated run per
// process, so a run that crashes (an assertion, a sanitizer) takes only itself down and is
// reported as a crash with its seed.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace orbit::tools {

struct JobResult {
  size_t index = 0;
  std::string output;  // everything the child wrote to stdout
  int exit_code = 0;   // when it exited
  int signal = 0;      // when a signal killed it (0 otherwise)
};

// Runs the argvs in `commands` in order; `on_done` is called as each finishes (any order)
// and returns whether to start more: false stops starting jobs (running ones finish).
// Returns how many were started.
size_t run_jobs(const std::vector<std::vector<std::string>>& commands, size_t jobs,
                const std::function<bool(const JobResult&)>& on_done);

}  // namespace orbit::tools
