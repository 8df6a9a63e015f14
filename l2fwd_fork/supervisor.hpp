/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The master's bookkeeping of its slaves, as a state machine with no DPDK and
// no processes in it: the master feeds it events (a slave was launched, is
// forwarding, has ended) and carries out the actions it returns (send STOP,
// kill, reclaim and relaunch a group, give up). The unit tests drive it with
// made-up times.
//
// Recovery of a group (the slaves that share port pairs):
//
//   slave dies ──> STOP to every other member still running or starting
//              ──> each exits (or is killed when the stop timeout passes)
//              ──> all exited: restart (the master reclaims their resources
//                  and launches new slaves)
//              ──> all forwarding: recovery done, timed from the death
//
// A slave that keeps failing before it forwards (it exits, crashes or does
// not become ready within the start limit) makes the master give up rather
// than restart it forever. A slave killed from outside while it starts is not
// such a failure: kills faster than start-ups only make the group go round
// again.
//
// A slave still starting is never killed for not acting on STOP within the
// stop timeout: it is inside rte_eal_init(), where a kill can leave a DPDK lock
// in the shared memory held. It sees STOP once its EAL is up; only the start
// limit kills it.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace l2fwd_fork {

enum class SlaveState : uint32_t {
    idle,     // not launched yet
    starting, // launched, not forwarding yet
    running,  // forwarding
    stopping, // STOP sent, not ended yet
    exited,   // the process has ended
};

inline const char* state_name(SlaveState state) noexcept
{
    switch (state) {
    case SlaveState::idle: return "idle";
    case SlaveState::starting: return "starting";
    case SlaveState::running: return "running";
    case SlaveState::stopping: return "stopping";
    case SlaveState::exited: return "exited";
    }
    return "?";
}

class Supervisor {
public:
    using Clock = std::chrono::steady_clock;

    struct Action {
        // kill: STOP not acted on in time; start_timeout: not ready in time.
        enum class Kind { stop, kill, start_timeout, restart, give_up };
        Kind kind;
        unsigned slave = 0;            // stop, kill, start_timeout, give_up
        unsigned cause = 0;            // stop: the slave whose end caused it
        std::vector<unsigned> members; // restart: the group, in order
    };

    struct Recovery {
        std::vector<unsigned> members;
        unsigned cause = 0;       // the slave that died first
        Clock::time_point died_at;
        Clock::time_point done_at;
        Clock::duration elapsed() const { return done_at - died_at; }
    };

    // How long a new slave may take to say it forwards, unless told otherwise.
    static constexpr auto default_start_timeout = std::chrono::seconds(5);

    // `group[s]` is slave s's dependency group (see topology.hpp).
    Supervisor(std::vector<unsigned> group, Clock::duration stop_timeout,
               unsigned max_failed_starts, Clock::duration start_timeout = default_start_timeout)
        : group_(std::move(group)), slaves_(group_.size()), stop_timeout_(stop_timeout),
          start_timeout_(start_timeout), max_failed_starts_(max_failed_starts)
    {
        unsigned groups = 0;
        for (unsigned g : group_)
            groups = g + 1 > groups ? g + 1 : groups;
        recoveries_.resize(groups);
    }

    SlaveState state(unsigned s) const noexcept { return slaves_[s].state; }
    bool recovering(unsigned s) const noexcept { return recoveries_[group_[s]].active; }
    bool shutting_down() const noexcept { return shutting_down_; }

    void launched(unsigned s, Clock::time_point now = Clock::now())
    {
        slaves_[s].state = SlaveState::starting;
        slaves_[s].stop_sent = false;
        slaves_[s].killed = false;
        slaves_[s].start_deadline = now + start_timeout_;
    }

    // The slave forwards. Returns the recovery its group has completed, if any.
    std::optional<Recovery> ready(unsigned s, Clock::time_point now)
    {
        Slave& slave = slaves_[s];
        if (slave.state != SlaveState::starting)
            return std::nullopt;
        slave.state = SlaveState::running;
        slave.failed_starts = 0;
        GroupRecovery& recovery = recoveries_[group_[s]];
        if (!recovery.active || !recovery.relaunched)
            return std::nullopt;
        for (unsigned m = 0; m < slaves_.size(); ++m)
            if (group_[m] == group_[s] && slaves_[m].state != SlaveState::running)
                return std::nullopt;
        recovery.active = false;
        return Recovery{members_of(group_[s]), recovery.cause, recovery.died_at, now};
    }

    // The slave's process has ended at `when`; `by_signal`: killed by SIGKILL
    // or SIGTERM (from outside, unless the supervisor asked for it). Returns
    // true if the master had asked it to stop (a death otherwise).
    bool ended(unsigned s, Clock::time_point when, bool by_signal = false)
    {
        Slave& slave = slaves_[s];
        const bool asked = slave.stop_sent;
        if (slave.state == SlaveState::starting && !asked && (!by_signal || slave.killed))
            ++slave.failed_starts;
        slave.state = SlaveState::exited;
        if (shutting_down_)
            return asked;
        GroupRecovery& recovery = recoveries_[group_[s]];
        if (!recovery.active) {
            recovery = GroupRecovery{true, false, s, when};
        } else if (recovery.relaunched) {
            // A new slave died before its group was whole again: go round once more.
            recovery.relaunched = false;
        }
        return asked;
    }

    // Stop everything; nothing is restarted from now on. Every slave gets the
    // stop timeout, those still starting too: leaving matters more now than a
    // lock a kill may leave held (the master then leaves the shared memory as
    // it is: master.cpp).
    void shutdown(Clock::time_point now = Clock::now()) noexcept
    {
        shutting_down_ = true;
        for (Slave& slave : slaves_)
            slave.stop_deadline = std::min(slave.stop_deadline, now + stop_timeout_);
    }

    bool all_ended() const noexcept
    {
        for (const Slave& slave : slaves_)
            if (slave.state != SlaveState::exited && slave.state != SlaveState::idle)
                return false;
        return true;
    }

    // What the master must do now.
    std::vector<Action> poll(Clock::time_point now)
    {
        std::vector<Action> actions;
        for (unsigned g = 0; g < recoveries_.size(); ++g) {
            GroupRecovery& recovery = recoveries_[g];
            if (shutting_down_ || !recovery.active || recovery.relaunched)
                continue;
            bool all_exited = true;
            for (unsigned s : members_of(g)) {
                if (slaves_[s].failed_starts >= max_failed_starts_ && !gave_up_) {
                    gave_up_ = true;
                    actions.push_back({Action::Kind::give_up, s, s, {}});
                }
                stop_or_kill(s, recovery.cause, now, actions);
                all_exited = all_exited && slaves_[s].state == SlaveState::exited;
            }
            if (all_exited && !gave_up_) {
                recovery.relaunched = true;
                actions.push_back({Action::Kind::restart, 0, recovery.cause, members_of(g)});
            }
        }
        if (shutting_down_)
            for (unsigned s = 0; s < slaves_.size(); ++s)
                stop_or_kill(s, s, now, actions);
        for (unsigned s = 0; s < slaves_.size(); ++s)
            kill_if_not_started(s, now, actions);
        return actions;
    }

private:
    struct Slave {
        SlaveState state = SlaveState::idle;
        bool stop_sent = false;
        bool killed = false;
        Clock::time_point stop_deadline{};
        Clock::time_point start_deadline{};
        unsigned failed_starts = 0; // ended before forwarding, in a row
    };
    struct GroupRecovery {
        bool active = false;
        bool relaunched = false;
        unsigned cause = 0;
        Clock::time_point died_at{};
    };

    std::vector<unsigned> members_of(unsigned g) const
    {
        std::vector<unsigned> members;
        for (unsigned s = 0; s < group_.size(); ++s)
            if (group_[s] == g)
                members.push_back(s);
        return members;
    }

    void stop_or_kill(unsigned s, unsigned cause, Clock::time_point now,
                      std::vector<Action>& actions)
    {
        Slave& slave = slaves_[s];
        if (slave.state == SlaveState::starting || slave.state == SlaveState::running) {
            // One still starting keeps its start limit (see the top of the file).
            slave.stop_deadline = slave.state == SlaveState::starting && !shutting_down_
                                      ? std::max(slave.start_deadline, now + stop_timeout_)
                                      : now + stop_timeout_;
            slave.state = SlaveState::stopping;
            slave.stop_sent = true;
            actions.push_back({Action::Kind::stop, s, cause, {}});
        } else if (slave.state == SlaveState::stopping && !slave.killed &&
                   now >= slave.stop_deadline) {
            slave.killed = true;
            actions.push_back({Action::Kind::kill, s, cause, {}});
        }
    }

    void kill_if_not_started(unsigned s, Clock::time_point now, std::vector<Action>& actions)
    {
        Slave& slave = slaves_[s];
        if (slave.state == SlaveState::starting && !slave.killed &&
            now >= slave.start_deadline) {
            slave.killed = true;
            actions.push_back({Action::Kind::start_timeout, s, s, {}});
        }
    }

    std::vector<unsigned> group_;
    std::vector<Slave> slaves_;
    std::vector<GroupRecovery> recoveries_;
    Clock::duration stop_timeout_;
    Clock::duration start_timeout_;
    unsigned max_failed_starts_;
    bool shutting_down_ = false;
    bool gave_up_ = false;
};

} // namespace l2fwd_fork
