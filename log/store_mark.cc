// The store's durable-head mark (DIR/ledger/DURABLE-HEAD, docs/STORAGE.md):
// an acknowledged position and its hash, checked at open and rewritten after
// commits, once the writer is idle, and at every flush.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "log/store.h"
#include "log/store_format.h"

namespace pl {

using namespace store_format;

Status Store::check_mark() {
  std::string file = dir_ + "/" + kMarkFile, text;
  {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Status::ok();  // a store from before the mark, or a copy
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  Head mark;
  if (!decode_mark(text, &mark)) return Status::ok();  // a mark cut by a power loss: no claim
  std::string problem;
  if (mark.position > head_.position) {
    problem = "the ledger acknowledged position " + std::to_string(mark.position) + " (hash " + to_hex(mark.hash) +
              ") but the store opens at position " + std::to_string(head_.position) +
              ": acknowledged events were lost (a damaged or truncated write-ahead log)";
  } else if (mark.position > 0) {
    auto ev = read_one_unlocked(mark.position);  // a read checks the event's own hash too
    if (!ev || ev->view().hash_bytes() != bytes_of(mark.hash))
      problem = "the event at position " + std::to_string(mark.position) +
                " is not the one the ledger acknowledged (hash " + to_hex(mark.hash) + "): the store was changed";
  }
  durable_mark_ = mark;
  mark_position_.store(mark.position);
  if (problem.empty()) return Status::ok();
  if (!options_.read_only)
    return Status::corruption(problem + ". The ledger in " + dir_ +
                              " was not opened for writing; restore the latest backup into a new directory");
  // Read-only (verify, export): open, and let verify say what is wrong.
  if (consistent_) {
    consistent_ = false;
    inconsistency_ = problem;
  }
  return Status::ok();
}

Status Store::write_mark(const Head& h) {
  if (options_.read_only || h.position == 0) return Status::ok();
  // Written whole to a file of its own, synced, renamed over the mark, and
  // the folder synced: after a crash the mark is the old one or the new one.
  std::string file = dir_ + "/" + kMarkFile, tmp = file + ".tmp";
  auto fail = [&](const std::string& what) {
    return Status::io_error("the durable-head mark: cannot " + what + ": " + std::strerror(errno));
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return fail("write " + tmp);
  std::string text = encode_mark(h);
  std::string_view left = text;
  while (!left.empty()) {
    ssize_t n = ::write(fd, left.data(), left.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status st = fail("write " + tmp);
      ::close(fd);
      return st;
    }
    left.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0) {
    Status st = fail("sync " + tmp);
    ::close(fd);
    return st;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), file.c_str()) != 0) return fail("rename " + tmp);
  int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return fail("open " + dir_);
  int synced = ::fsync(dfd);
  ::close(dfd);
  if (synced != 0) return fail("sync " + dir_);
  mark_written_ = std::chrono::steady_clock::now();
  mark_position_.store(h.position);
  return Status::ok();
}

Status Store::write_trailing_mark() {
  std::shared_lock db_lock(db_mu_);
  PL_RETURN_IF_ERROR(usable());
  return write_mark(head());
}

}  // namespace pl
