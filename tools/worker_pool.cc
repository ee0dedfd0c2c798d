#include "tools/worker_pool.h"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace orbit::tools {
namespace {

struct Running {
  size_t index;
  pid_t pid;
  int fd;
  std::string output;
};

Running start(size_t index, const std::vector<std::string>& argv) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    std::perror("orbit-sim: pipe");
    std::exit(2);
  }
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("orbit-sim: fork");
    std::exit(2);
  }
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    std::perror("orbit-sim: exec");
    _exit(127);
  }
  close(pipe_fds[1]);
  return Running{index, pid, pipe_fds[0], {}};
}

}  // namespace

size_t run_jobs(const std::vector<std::vector<std::string>>& commands, size_t jobs,
                const std::function<bool(const JobResult&)>& on_done) {
  if (jobs == 0) jobs = 1;
  size_t next = 0;
  bool more = true;
  std::map<int, Running> running;  // by fd
  while ((more && next < commands.size()) || !running.empty()) {
    while (more && next < commands.size() && running.size() < jobs) {
      Running r = start(next, commands[next]);
      running.emplace(r.fd, std::move(r));
      ++next;
    }
    std::vector<pollfd> fds;
    for (const auto& [fd, r] : running) fds.push_back(pollfd{fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      std::perror("orbit-sim: poll");
      std::exit(2);
    }
    for (const auto& p : fds) {
      if (p.revents == 0) continue;
      Running& r = running.at(p.fd);
      char buf[65536];
      const ssize_t n = read(p.fd, buf, sizeof buf);
      if (n > 0) {
        r.output.append(buf, static_cast<size_t>(n));
        continue;
      }
      close(p.fd);
      int status = 0;
      while (waitpid(r.pid, &status, 0) < 0 && errno == EINTR) {
      }
      JobResult result{r.index, std::move(r.output), 0, 0};
      if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
      if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
      running.erase(p.fd);
      if (!on_done(result)) more = false;
    }
  }
  return next;
}

}  // namespace orbit::tools
