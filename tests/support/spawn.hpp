#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace albatross::testing {

// Starts `argv[0]` with `argv` (fork + exec): stdin from /dev/null, stdout and stderr onto the
// given descriptors, every other descriptor of the test process closed in the child (the test's
// own sockets must not outlive it there). Returns the child's PID; throws on failure.
pid_t spawn(const std::vector<std::string>& argv, int out_fd, int err_fd);

// A pidfd for `pid` (readable once it exits), so exits can be awaited with poll and a deadline.
int open_pidfd(pid_t pid);

// Waits up to `timeout_ms` (-1: forever) for `pid` to exit, watching its `pidfd`.
// Returns the exit code (128 + signal when killed), or -1 if it is still running.
int wait_pid(pid_t pid, int pidfd, int timeout_ms);

}  // namespace albatross::testing
