/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Standby slaves: slave processes the master starts ahead of need. A new slave
// spends nearly all of its start in rte_eal_init() (with Debian's shared DPDK,
// loading every driver plugin), so the master keeps processes that are past it
// and asleep on a futex word, costing no CPU. When a group is restarted, each
// new slave is a standby that is given the slave's place (its entry in the
// slave table) and forwards within a millisecond or two; a new standby is then
// started in the background. A slave is started from scratch only when no
// standby is left for it.
//
// Which standby may replace which slave: with -f a standby has a floating
// lcore id of its own, so any standby replaces any slave. Without -f a slave
// runs as its launch lcore's id on that lcore's CPU, so each slave has its own
// standby, with that id and CPU (the standby touches no mempool until it
// replaces the slave, which has ended by then).
//
// This is the bookkeeping, without processes: the master feeds it events and
// carries out what it returns; the unit tests drive it with made-up times.

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

#include <sys/types.h>

namespace l2fwd_fork {

class StandbyBook {
public:
    using Clock = std::chrono::steady_clock;
    enum class State {
        empty,    // none, one is to be started
        spawning, // asked for, not forked yet
        starting, // forked, in its start-up
        ready,    // started, waiting for a slave's place
        retiring, // told to exit (shutdown)
    };

    // `for_slave[k]`: the only slave standby k may replace (without -f), or
    // any (nullopt). A standby that ends by itself before it is ready
    // `max_failed_starts` times in a row is not started again: the slaves are
    // then started from scratch, where the master's own limit applies.
    StandbyBook(std::vector<std::optional<unsigned>> for_slave, Clock::duration start_limit,
                unsigned max_failed_starts)
        : start_limit_(start_limit), max_failed_starts_(max_failed_starts)
    {
        for (const auto& slave : for_slave)
            entries_.push_back(Entry{slave});
    }

    std::size_t size() const noexcept { return entries_.size(); }
    State state(unsigned k) const noexcept { return entries_[k].state; }
    pid_t pid(unsigned k) const noexcept { return entries_[k].pid; }

    // The standbys to start now; they are `spawning` from here on.
    std::vector<unsigned> to_start()
    {
        std::vector<unsigned> out;
        if (retired_)
            return out;
        for (unsigned k = 0; k < entries_.size(); ++k)
            if (entries_[k].state == State::empty &&
                entries_[k].failed_starts < max_failed_starts_) {
                entries_[k].state = State::spawning;
                out.push_back(k);
            }
        return out;
    }

    // Forked as `pid`. True if it is to be told to exit at once (retire()
    // came while it was being forked).
    bool started(unsigned k, pid_t pid, Clock::time_point now)
    {
        Entry& e = entries_[k];
        e.pid = pid;
        e.killed = false;
        e.was_ready = false;
        e.started_at = now;
        e.deadline = now + (retired_ ? retire_limit_ : start_limit_);
        e.state = retired_ ? State::retiring : State::starting;
        return retired_;
    }
    // fork() failed.
    void not_started(unsigned k)
    {
        ++entries_[k].failed_starts;
        entries_[k].state = State::empty;
    }
    void ready(unsigned k)
    {
        if (entries_[k].state == State::starting) {
            entries_[k].state = State::ready;
            entries_[k].failed_starts = 0;
        }
    }

    // The standby to replace `slave`: a ready one first, else the one that
    // has been starting longest (the furthest along: the others queue behind
    // it at the start-up gate). It leaves the book (its entry is empty, to be
    // started again); nothing if none is there.
    struct Taken {
        unsigned k;
        pid_t pid;
        State state;
        Clock::time_point started_at; // when it was forked (as started() was told)
    };
    std::optional<Taken> take(unsigned slave)
    {
        if (retired_)
            return std::nullopt;
        for (State wanted : {State::ready, State::starting}) {
            std::optional<unsigned> best;
            for (unsigned k = 0; k < entries_.size(); ++k) {
                const Entry& e = entries_[k];
                if (e.state == wanted && (!e.slave || *e.slave == slave) &&
                    (!best || e.started_at < entries_[*best].started_at))
                    best = k;
            }
            if (!best)
                continue;
            Entry& e = entries_[*best];
            const Taken taken{*best, e.pid, e.state, e.started_at};
            e.state = State::empty;
            e.pid = 0;
            return taken;
        }
        return std::nullopt;
    }
    // Back as it was: it could not be given the place after all.
    void give_back(const Taken& taken)
    {
        entries_[taken.k].state = taken.state;
        entries_[taken.k].pid = taken.pid;
    }

    // Standby k's process has ended. `by_itself`: it exited or crashed (not
    // killed by SIGKILL or SIGTERM). True if it ended inside its start-up.
    bool ended(unsigned k, bool by_itself)
    {
        Entry& e = entries_[k];
        const bool in_start_up = e.state == State::starting ||
                                 (e.state == State::retiring && !e.was_ready);
        if (in_start_up && (by_itself || e.killed))
            ++e.failed_starts;
        e.state = State::empty;
        e.pid = 0;
        e.was_ready = false;
        return in_start_up;
    }

    // Standbys past the start limit, to be killed (once each).
    std::vector<unsigned> overdue(Clock::time_point now)
    {
        std::vector<unsigned> out;
        for (unsigned k = 0; k < entries_.size(); ++k) {
            Entry& e = entries_[k];
            if ((e.state == State::starting || e.state == State::retiring) && !e.killed &&
                now >= e.deadline) {
                e.killed = true;
                out.push_back(k);
            }
        }
        return out;
    }

    // Every standby is to exit and none is started any more; returns those to
    // tell (forked ones). One that does not exit by `now + limit` is overdue.
    std::vector<unsigned> retire(Clock::time_point now, Clock::duration limit)
    {
        retired_ = true;
        retire_limit_ = limit;
        std::vector<unsigned> out;
        for (unsigned k = 0; k < entries_.size(); ++k) {
            Entry& e = entries_[k];
            if (e.state != State::starting && e.state != State::ready)
                continue; // spawning ones are told once forked (started())
            e.was_ready = e.state == State::ready;
            e.state = State::retiring;
            e.deadline = std::min(e.deadline, now + limit);
            out.push_back(k);
        }
        return out;
    }

    bool all_gone() const noexcept
    {
        for (const Entry& e : entries_)
            if (e.state != State::empty)
                return false;
        return true;
    }

private:
    struct Entry {
        std::optional<unsigned> slave;
        State state = State::empty;
        pid_t pid = 0;
        bool killed = false;
        bool was_ready = false;
        Clock::time_point started_at{};
        Clock::time_point deadline{};
        unsigned failed_starts = 0;
    };

    std::vector<Entry> entries_;
    Clock::duration start_limit_;
    unsigned max_failed_starts_;
    Clock::duration retire_limit_{};
    bool retired_ = false;
};

// One standby for each slave without -f; with -f, enough for four recoveries
// of the largest group in a row, any of them for any slave. Kills can come
// faster than new standbys start: on two CPUs shared with the forwarding
// slaves and other busy processes, a standby's start-up takes 300-600 ms. With
// two recoveries' worth, one recovery in five of the chaos storm found no
// standby ready and waited for one in its start-up; with four, one or two in a
// hundred (docs/l2fwd_fork.rst).
inline constexpr unsigned floating_standby_recoveries = 4;

inline std::vector<std::optional<unsigned>> standby_plan(const std::vector<unsigned>& group,
                                                         bool floating)
{
    std::vector<std::optional<unsigned>> plan;
    if (!floating) {
        for (unsigned s = 0; s < group.size(); ++s)
            plan.emplace_back(s);
        return plan;
    }
    std::size_t largest = 0;
    for (unsigned g : group)
        largest = std::max<std::size_t>(largest, std::count(group.begin(), group.end(), g));
    plan.resize(largest * floating_standby_recoveries);
    return plan;
}

} // namespace l2fwd_fork
