// The bytes of a pack to check: a file read where it lies (pread), or bytes
// in memory (audit_pack.h: Source).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "audit/audit_pack.h"

namespace pl::audit {

namespace {

class FileSource : public Source {
 public:
  FileSource(int fd, std::uint64_t size, std::string path) : fd_(fd), size_(size), path_(std::move(path)) {}
  ~FileSource() override { ::close(fd_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  std::uint64_t size() const override { return size_; }
  Status read_at(std::uint64_t offset, char* out, std::size_t n) const override {
    while (n > 0) {
      ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return Status::io_error("cannot read " + path_ + ": " + (got < 0 ? std::strerror(errno) : "cut"));
      out += got;
      n -= static_cast<std::size_t>(got);
      offset += static_cast<std::uint64_t>(got);
    }
    return Status::ok();
  }

 private:
  int fd_;
  std::uint64_t size_;
  std::string path_;
};

class MemorySource : public Source {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
  std::uint64_t size() const override { return bytes_.size(); }
  Status read_at(std::uint64_t offset, char* out, std::size_t n) const override {
    if (offset > bytes_.size() || n > bytes_.size() - offset) return Status::io_error("read past the end");
    if (n > 0) std::memcpy(out, bytes_.data() + offset, n);
    return Status::ok();
  }

 private:
  std::string_view bytes_;
};

}  // namespace

Result<std::unique_ptr<Source>> file_source(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::not_found("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::invalid(path + " is not a file");
  }
  return std::unique_ptr<Source>(new FileSource(fd, static_cast<std::uint64_t>(st.st_size), path));
}

std::unique_ptr<Source> memory_source(std::string_view bytes) { return std::make_unique<MemorySource>(bytes); }

}  // namespace pl::audit
