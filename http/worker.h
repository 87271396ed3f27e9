// A thread that runs queued jobs in order, for the slow work the service keeps
// off the I/O threads (verify, as-of replays). The queue is bounded: a job
// past the bound is refused, and the caller says the server is busy.
//
// Thread safety: post() may be called from any thread, jobs included; stop()
// from one thread at a time, never from a job (it joins the worker's thread).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace pl {

class Worker {
 public:
  // Starts the thread; at most `max_queued` jobs wait at once.
  explicit Worker(std::size_t max_queued) : max_queued_(max_queued), thread_([this] { run(); }) {}
  ~Worker() { stop(); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Queues `job`, to run on the worker's thread after those queued before
  // it; false (and `job` dropped) when the queue is full or stopping. A job
  // must not throw.
  bool post(std::function<void()> job) {
    {
      std::lock_guard lock(mu_);
      if (stopping_ || queue_.size() >= max_queued_) {
        ++refused_;
        return false;
      }
      queue_.push_back(std::move(job));
    }
    cv_.notify_one();
    return true;
  }

  // Whether stop() was called: a refused post() is then the server
  // stopping, not a full queue (busy).
  bool stopping() const {
    std::lock_guard lock(mu_);
    return stopping_;
  }

  // Jobs started on the worker's thread, and posts refused, since it began
  // (GET /metrics): what the service sends to the worker shows here.
  std::uint64_t started() const { return started_.load(); }
  std::uint64_t refused() const { return refused_.load(); }

  // Refuses new jobs, runs those queued, then joins. Idempotent.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      ++started_;  // before the job: a reply the job sends is counted already
      job();
    }
  }

  std::size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> started_{0}, refused_{0};
  std::thread thread_;  // last: starts once the rest is made
};

}  // namespace pl
