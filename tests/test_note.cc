// Signed notes and checkpoints (C2SP): keys survive their text forms, a note
// opens only with its signer's verifier key and only unchanged.
#include <doctest/doctest.h>

#include "log/note.h"

using namespace pl;
using namespace pl::note;

TEST_CASE("keys: private and verifier texts round-trip, also when their base64 holds a '+'") {
  int with_plus = 0;  // verifier keys whose base64 part holds a plus sign
  for (int i = 0; i < 200; ++i) {
    auto key = generate("programme-ledger/test");
    REQUIRE(key);
    const std::string& vk = key->verifier();
    with_plus += vk.substr(vk.find('+', vk.find('+') + 1) + 1).find('+') != std::string::npos;
    auto again = parse_private(key->private_text() + "\n");
    REQUIRE_MESSAGE(again, key->private_text());
    CHECK(again->public_key == key->public_key);
    auto v = parse_verifier(key->verifier());
    REQUIRE_MESSAGE(v, key->verifier());
    CHECK(v->id == key->id());
  }
  CHECK(with_plus > 0);  // about half of them
  CHECK_FALSE(generate("with space"));
  CHECK_FALSE(generate("with+plus"));
  CHECK_FALSE(parse_verifier("name+00000000+AAAA"));
  auto key = generate("a").value();
  std::string v = key.verifier();
  v[v.find('+') + 1] ^= 1;  // another key id
  CHECK_FALSE(parse_verifier(v));
}

TEST_CASE("a signed checkpoint opens with its verifier key only, and only unchanged") {
  auto key = generate("programme-ledger/abc").value();
  auto other = generate("programme-ledger/abc").value();
  Checkpoint c{"programme-ledger/abc", 684, sha256("root")};
  std::string text = checkpoint_text(c);
  CHECK(text == "programme-ledger/abc\n684\n" + base64(bytes_of(c.root)) + "\n");
  std::string signed_note = sign(text, key);
  CHECK(signed_note.rfind(text + "\n\xe2\x80\x94 programme-ledger/abc ", 0) == 0);

  Verifier v = parse_verifier(key.verifier()).value(), w = parse_verifier(other.verifier()).value();
  auto opened = open(signed_note, {w, v});
  REQUIRE(opened);
  CHECK(*opened == text);
  auto parsed = parse_checkpoint(*opened).value();
  CHECK(parsed.size == 684);
  CHECK(parsed.root == c.root);

  auto by_other = open(signed_note, {w});
  REQUIRE_FALSE(by_other);
  CHECK(by_other.status().reason() == "unknown_key");
  std::string changed = signed_note;
  changed[changed.find("684")] = '5';
  auto bad = open(changed, {v});
  REQUIRE_FALSE(bad);
  CHECK(bad.status().reason() == "bad_signature");
  CHECK_FALSE(open(text, {v}));  // no signature
  CHECK_FALSE(parse_checkpoint("o\n012\n" + base64(bytes_of(c.root)) + "\n"));
  CHECK_FALSE(parse_checkpoint("o\n12\nnot base64\n"));
}

TEST_CASE("a note that is not UTF-8, or a checkpoint with an empty extension line, is refused (C2SP)") {
  auto key = generate("programme-ledger/abc").value();
  Verifier v = parse_verifier(key.verifier()).value();
  std::string root = base64(bytes_of(sha256("root")));
  std::string text = "programme-ledger/abc\n684\n" + root + "\n";
  // Well-formed UTF-8 beyond ASCII opens (the signature line's dash is some).
  auto with_extension = open(sign(text + "caf\xc3\xa9 \xf0\x9f\x93\x9c\n", key), {v});
  REQUIRE(with_extension);
  CHECK(parse_checkpoint(*with_extension));
  // Bytes that are not UTF-8, each signed by the real key: a lone
  // continuation byte, a cut sequence, an overlong '/', a surrogate, a code
  // point above U+10FFFF, a byte never used.
  for (std::string bad : {"\x80", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff"}) {
    auto opened = open(sign(text + "x" + bad + "\n", key), {v});
    REQUIRE_FALSE(opened);
    CHECK(opened.status().message().find("UTF-8") != std::string::npos);
    auto in_origin = open(sign("programme-ledger/abc" + bad + "\n684\n" + root + "\n", key), {v});
    CHECK_FALSE(in_origin);
  }
  // An empty extension line: the note opens (a signed note's text may hold
  // one), the checkpoint does not parse.
  for (std::string ext : {"\n", "\nnext\n", "first\n\n"}) {
    auto opened = open(sign(text + ext, key), {v});
    REQUIRE(opened);
    auto parsed = parse_checkpoint(*opened);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.status().message().find("extension") != std::string::npos);
  }
  CHECK(parse_checkpoint(text + "one\ntwo\n"));
}
