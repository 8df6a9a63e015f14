/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// A thread of the master that works through a queue of items off the
// supervision loop: the loop hands an item over (a mutex held for a push, never
// across any work) and goes on. The reaper and the standby spawner are two.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

namespace l2fwd_fork {

template <class Item, class Handler>
class BackgroundQueue {
public:
    explicit BackgroundQueue(Handler handler) : handler_(std::move(handler)) {}
    BackgroundQueue(const BackgroundQueue&) = delete;
    BackgroundQueue& operator=(const BackgroundQueue&) = delete;
    ~BackgroundQueue() { finish(true); }

    void push(Item item)
    {
        {
            std::lock_guard lock(mutex_);
            items_.push_back(std::move(item));
        }
        wake_.notify_one();
    }

    // Ends the thread: after every item pushed so far (`handle_rest`), or
    // after the one in hand.
    void finish(bool handle_rest) noexcept
    {
        {
            std::lock_guard lock(mutex_);
            if (done_)
                return;
            done_ = true;
            if (!handle_rest)
                items_.clear();
        }
        wake_.notify_one();
        thread_.join();
    }

private:
    void run()
    {
        while (true) {
            Item item;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [this] { return done_ || !items_.empty(); });
                if (items_.empty())
                    return;
                item = std::move(items_.front());
                items_.pop_front();
            }
            handler_(std::move(item));
        }
    }

    Handler handler_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Item> items_;
    bool done_ = false;
    std::thread thread_{[this] { run(); }}; // last: starts once the rest is ready
};

} // namespace l2fwd_fork
