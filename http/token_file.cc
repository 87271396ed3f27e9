#include "http/token_file.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

namespace pl {

namespace {

TokensFileStamp stamp_of(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return TokensFileStamp{};
  return TokensFileStamp{true, static_cast<std::uint64_t>(st.st_ino), static_cast<std::int64_t>(st.st_size),
                         static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

}  // namespace

Result<std::unique_ptr<TokenFile>> TokenFile::open(const std::string& file, const std::string& data_dir) {
  auto tokens = Tokens::load(file);
  if (!tokens) {
    if (tokens.status().is(Kind::not_found))
      return Status::not_found("no tokens file at " + file + "; make one with: ledger token add --data " + data_dir +
                               " --name NAME --role coordinator (or run ledger demo)");
    return tokens.status();
  }
  if (tokens->size() == 0)
    return Status::invalid("the tokens file " + file + " holds no token; add one with: ledger token add");
  std::unique_ptr<TokenFile> t(new TokenFile());
  t->tokens_ = std::move(tokens).value();
  t->file_ = file;
  t->stamp_ = stamp_of(file);
  return t;
}

std::size_t TokenFile::size() const {
  std::lock_guard lock(mu_);
  return tokens_.size();
}

void TokenFile::reload_if_changed() {
  auto now = std::chrono::steady_clock::now();
  if (now - checked_ < kTokensRecheck) return;
  checked_ = now;
  TokensFileStamp stamp = stamp_of(file_);
  if (stamp == stamp_) return;
  if (!stamp.exists) {
    // Revoking every token by removing the file must not leave them working.
    tokens_ = Tokens();
    stamp_ = stamp;
    spdlog::error("the tokens file {} is gone: every token is refused until it is back", file_);
    return;
  }
  auto fresh = Tokens::load(file_);
  if (!fresh) {
    // Half edited by hand, say: keep what was loaded and look again later.
    spdlog::warn("the tokens file changed but cannot be read; keeping the tokens loaded: {}", fresh.status().message());
    return;
  }
  tokens_ = std::move(fresh).value();
  stamp_ = stamp;
  spdlog::info("tokens reloaded from {}: {} tokens", file_, tokens_.size());
}

std::optional<Principal> TokenFile::authenticate(std::string_view token) {
  std::lock_guard lock(mu_);
  reload_if_changed();
  return tokens_.authenticate(token);
}

}  // namespace pl
