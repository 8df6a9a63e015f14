/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Reaping ended slaves and standbys. Their end is known before they are reaped
// (waitid with WNOWAIT leaves them zombies: launcher.hpp); this thread reaps
// them, so that however long the kernel takes over it (it drops the process's
// /proc entries, a loop that gives way whenever its CPU is wanted), neither a
// launcher's lcore nor the master's loop waits. It reaps all it was given
// before it ends.

#include <sys/types.h>
#include <sys/wait.h>

#include <cerrno>

#include "background.hpp"

namespace l2fwd_fork {

struct ReapOne {
    void operator()(pid_t pid) const noexcept
    {
        while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
};

class Reaper {
public:
    void reap(pid_t pid) { queue_.push(pid); }

private:
    BackgroundQueue<pid_t, ReapOne> queue_{ReapOne{}};
};

} // namespace l2fwd_fork
