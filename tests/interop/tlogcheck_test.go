// The checker against a small log served by httptest: the tree, its proofs
// and its signed checkpoints made by the Go reference code itself, in the
// formats the ledger serves; then the same log with one thing wrong at a
// time, which the checker must refuse.
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const origin = "ledger.test/log"
const token = "secret-token"

// A fault the fake log can be told to make.
type fault int

const (
	none           fault = iota
	leafNoPrefix         // leaf hash SHA-256(data), without the 0x00
	leafOfHex            // leaf data: the 64 hex characters, not the 32 bytes
	offByOne             // leaf index = position
	pathReversed         // the audit path root to leaf
	pathDropLast         // the audit path without its last hash
	consistencyRev       // the consistency proof in the wrong order
	otherSigner          // signed by another key of the same name
	originNotName        // origin other than the key name
	sizeWrong            // ?size=K answered with the current tree
	textUnsigned         // a note without its signature line
	rootURLBase64        // the root in URL-safe base64 without padding
	plainHashNodes       // interior nodes SHA-256(left || right), without the 0x01
	noCharset            // Content-Type: text/plain
	upperHex             // the event hash in upper-case hex
	canonAltered         // the canonical bytes with one byte changed
	canonOther           // the canonical bytes of another event
)

type fakeLog struct {
	t      *testing.T
	mu     sync.Mutex
	data   [][]byte // leaf data (event chain hashes), index = position - 1
	canon  [][]byte // the canonical bytes each leaf's data is the SHA-256 of
	stored []tlog.Hash
	signer note.Signer
	other  note.Signer
	vkey   string
	fault  fault
}

func newFakeLog(t *testing.T, n int) *fakeLog {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	oskey, _, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	other, err := note.NewSigner(oskey)
	if err != nil {
		t.Fatal(err)
	}
	l := &fakeLog{t: t, signer: signer, other: other, vkey: vkey}
	l.grow(n)
	return l
}

func (l *fakeLog) grow(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := 0; i < n; i++ {
		// "PLE2", the previous hash, the position, then the rest of an event.
		prev := make([]byte, 32)
		if len(l.data) > 0 {
			prev = l.data[len(l.data)-1]
		}
		c := append([]byte("PLE2"), prev...)
		c = binary.BigEndian.AppendUint64(c, uint64(len(l.data)+1))
		c = append(c, fmt.Sprintf("event %d", len(l.data)+1)...)
		d := sha256.Sum256(c)
		l.canon = append(l.canon, c)
		hs, err := tlog.StoredHashes(int64(len(l.data)), d[:], l.reader())
		if err != nil {
			l.t.Fatal(err)
		}
		l.data = append(l.data, d[:])
		l.stored = append(l.stored, hs...)
	}
}

func (l *fakeLog) reader() tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = l.stored[x]
		}
		return out, nil
	})
}

// plainTreeHash: the root with interior nodes SHA-256(left || right).
func plainTreeHash(leaves []tlog.Hash) tlog.Hash {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := plainTreeHash(leaves[:k]), plainTreeHash(leaves[k:])
	return sha256.Sum256(append(append([]byte(nil), l[:]...), r[:]...))
}

func b64(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

func (l *fakeLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := r.URL.Query()
	num := func(k string) int64 {
		v, err := strconv.ParseInt(q.Get(k), 10, 64)
		if err != nil {
			return -1
		}
		return v
	}
	n := int64(len(l.data))
	writeJSON := func(v interface{}) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	switch r.URL.Path {
	case "/v1/audit/checkpoint":
		size := n
		if q.Has("size") && l.fault != sizeWrong {
			size = num("size")
		}
		if size < 0 || size > n {
			http.Error(w, "bad size", 400)
			return
		}
		root, err := tlog.TreeHash(size, l.reader())
		if err != nil {
			l.t.Fatal(err)
		}
		if l.fault == plainHashNodes && size > 0 {
			leaves := make([]tlog.Hash, size)
			for i := range leaves {
				leaves[i] = tlog.RecordHash(l.data[i])
			}
			root = plainTreeHash(leaves)
		}
		name, rootText := origin, root.String()
		if l.fault == originNotName {
			name = "another.origin"
		}
		if l.fault == rootURLBase64 {
			rootText = base64.RawURLEncoding.EncodeToString(root[:])
		}
		text := fmt.Sprintf("%s\n%d\n%s\n", name, size, rootText)
		signer := l.signer
		if l.fault == otherSigner {
			signer = l.other
		}
		msg, err := note.Sign(&note.Note{Text: text}, signer)
		if err != nil {
			l.t.Fatal(err)
		}
		if l.fault == textUnsigned {
			msg = []byte(text + "\n")
		}
		if l.fault == noCharset {
			w.Header().Set("Content-Type", "text/plain")
		} else {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
		w.Write(msg)
	case "/v1/events":
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", 401)
			return
		}
		from := num("from")
		if from < 1 || from > n || q.Get("limit") != "1" {
			writeJSON(map[string]interface{}{"events": []interface{}{}, "next": nil, "head": n})
			return
		}
		h := hex.EncodeToString(l.data[from-1])
		if l.fault == upperHex {
			h = strings.ToUpper(h)
		}
		canon := append([]byte(nil), l.canon[from-1]...)
		switch l.fault {
		case canonAltered:
			canon[len(canon)-1] ^= 1
		case canonOther:
			canon = l.canon[(from)%n]
		}
		writeJSON(map[string]interface{}{
			"events": []interface{}{map[string]interface{}{
				"specversion": "1.0", "id": strconv.FormatInt(from, 10), "type": "eu.programme-ledger.SessionLogged",
				"position": from, "hash": h, "canonical": base64.StdEncoding.EncodeToString(canon),
			}},
			"next": nil, "head": n,
		})
	case "/v1/audit/proof/inclusion":
		pos, size := num("position"), num("size")
		if pos < 1 || size < pos || size > n {
			http.Error(w, "bad position or size", 400)
			return
		}
		index := pos - 1
		leaf := tlog.RecordHash(l.data[index])
		switch l.fault {
		case leafNoPrefix:
			leaf = sha256.Sum256(l.data[index])
		case leafOfHex:
			leaf = tlog.RecordHash([]byte(hex.EncodeToString(l.data[index])))
		case offByOne:
			index = pos % size
		}
		proof, err := tlog.ProveRecord(size, index, l.reader())
		if err != nil {
			l.t.Fatal(err)
		}
		switch l.fault {
		case pathReversed:
			for i, j := 0, len(proof)-1; i < j; i, j = i+1, j-1 {
				proof[i], proof[j] = proof[j], proof[i]
			}
		case pathDropLast:
			if len(proof) > 0 {
				proof = proof[:len(proof)-1]
			}
		}
		writeJSON(map[string]interface{}{
			"position": pos, "leaf_index": index, "size": size,
			"leaf_hash": base64.StdEncoding.EncodeToString(leaf[:]), "hashes": b64(proof),
		})
	case "/v1/audit/proof/consistency":
		from, to := num("from"), num("to")
		if from < 1 || to < from || to > n {
			http.Error(w, "bad from or to", 400)
			return
		}
		proof, err := tlog.ProveTree(to, from, l.reader())
		if err != nil {
			l.t.Fatal(err)
		}
		if l.fault == consistencyRev {
			for i, j := 0, len(proof)-1; i < j; i, j = i+1, j-1 {
				proof[i], proof[j] = proof[j], proof[i]
			}
		}
		writeJSON(map[string]interface{}{"from": from, "to": to, "hashes": b64(proof)})
	default:
		http.NotFound(w, r)
	}
}

func runTool(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(args, &out)
	return out.String(), err
}

func TestAgreesWithTheReferenceLog(t *testing.T) {
	t.Setenv("LEDGER_TOKEN", token)
	t.Setenv("TLOGCHECK_SEED", "7")
	dir := t.TempDir()
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 64, 100} {
		l := newFakeLog(t, n)
		srv := httptest.NewServer(l)
		old := filepath.Join(dir, fmt.Sprintf("old-%d", n))
		if out, err := runTool(t, "checkpoint", srv.URL, l.vkey, old); err != nil {
			t.Fatalf("n=%d checkpoint: %v\n%s", n, err, out)
		}
		if out, err := runTool(t, "inclusion", srv.URL, l.vkey, "12"); err != nil {
			t.Fatalf("n=%d inclusion: %v\n%s", n, err, out)
		}
		if out, err := runTool(t, "consistency", srv.URL, l.vkey, old); err != nil {
			t.Fatalf("n=%d consistency, unchanged: %v\n%s", n, err, out)
		}
		for _, more := range []int{1, 2, 5, 13} {
			l.grow(more)
			if out, err := runTool(t, "consistency", srv.URL, l.vkey, old); err != nil {
				t.Fatalf("n=%d+%d consistency: %v\n%s", n, more, err, out)
			}
		}
		if out, err := runTool(t, "inclusion", srv.URL, l.vkey, "5"); err != nil {
			t.Fatalf("n=%d grown, inclusion: %v\n%s", n, err, out)
		}
		srv.Close()
	}
}

func TestRefusesWhatIsWrong(t *testing.T) {
	t.Setenv("LEDGER_TOKEN", token)
	dir := t.TempDir()
	cases := []struct {
		name  string
		fault fault
		cmd   string // the subcommand that must fail
		want  string // a part of its reason
	}{
		{"leaf hash without 0x00", leafNoPrefix, "inclusion", `"leaf_hash" is`},
		{"leaf of the hex text", leafOfHex, "inclusion", `"leaf_hash" is`},
		{"leaf index = position", offByOne, "inclusion", `"leaf_index" is not`},
		{"audit path root to leaf", pathReversed, "inclusion", "tlog.CheckRecord refuses"},
		{"audit path one short", pathDropLast, "inclusion", "tlog.CheckRecord refuses"},
		{"consistency proof reversed", consistencyRev, "consistency", "tlog.CheckTree refuses"},
		{"another key", otherSigner, "checkpoint", "note.Open refuses"},
		{"origin not the key name", originNotName, "checkpoint", "origin"},
		{"?size ignored", sizeWrong, "inclusion", "the checkpoint is of size"},
		{"no signature", textUnsigned, "checkpoint", "note.Open refuses"},
		{"root in URL-safe base64", rootURLBase64, "checkpoint", "root line"},
		{"interior nodes without 0x01", plainHashNodes, "inclusion", "tlog.CheckRecord refuses"},
		{"no charset", noCharset, "checkpoint", "Content-Type"},
		{"upper-case hex", upperHex, "inclusion", "lowercase hex"},
		{"canonical bytes changed", canonAltered, "inclusion", `"canonical" hashes to`},
		{"canonical bytes of another event", canonOther, "inclusion", `"canonical" is the event at position`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newFakeLog(t, 21)
			srv := httptest.NewServer(l)
			defer srv.Close()
			old := filepath.Join(dir, "old-"+strconv.Itoa(int(c.fault)))
			if out, err := runTool(t, "checkpoint", srv.URL, l.vkey, old); err != nil {
				t.Fatalf("before the fault: %v\n%s", err, out)
			}
			l.grow(6)
			l.mu.Lock()
			l.fault = c.fault
			l.mu.Unlock()
			arg := "8"
			if c.cmd == "checkpoint" {
				arg = filepath.Join(dir, "new")
			} else if c.cmd == "consistency" {
				arg = old
			}
			out, err := runTool(t, c.cmd, srv.URL, l.vkey, arg)
			if err == nil {
				t.Fatalf("%s passed:\n%s", c.cmd, out)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%s failed for another reason than %q: %v", c.cmd, c.want, err)
			}
		})
	}
}

func TestRefusesAnotherKeyAndATamperedFile(t *testing.T) {
	t.Setenv("LEDGER_TOKEN", token)
	dir := t.TempDir()
	l := newFakeLog(t, 10)
	srv := httptest.NewServer(l)
	defer srv.Close()
	_, vother, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runTool(t, "checkpoint", srv.URL, vother, filepath.Join(dir, "x")); err == nil || !strings.Contains(err.Error(), "note.Open refuses") {
		t.Fatalf("a checkpoint opened with another key: %v", err)
	}
	old := filepath.Join(dir, "old")
	if _, err := runTool(t, "checkpoint", srv.URL, l.vkey, old); err != nil {
		t.Fatal(err)
	}
	msg, _ := os.ReadFile(old)
	tampered := bytes.Replace(msg, []byte("\n10\n"), []byte("\n9\n"), 1)
	if err := os.WriteFile(old, tampered, 0o644); err != nil {
		t.Fatal(err)
	}
	l.grow(3)
	if _, err := runTool(t, "consistency", srv.URL, l.vkey, old); err == nil || !strings.Contains(err.Error(), "note.Open refuses") {
		t.Fatalf("a tampered old checkpoint: %v", err)
	}
	t.Setenv("LEDGER_TOKEN", "wrong")
	if _, err := runTool(t, "inclusion", srv.URL, l.vkey, "3"); err == nil || !strings.Contains(err.Error(), "status 401") {
		t.Fatalf("a wrong token: %v", err)
	}
}

func TestKeyRotation(t *testing.T) {
	t.Setenv("LEDGER_TOKEN", token)
	dir := t.TempDir()
	l := newFakeLog(t, 12)
	srv := httptest.NewServer(l)
	defer srv.Close()
	oldKey := l.vkey
	old := filepath.Join(dir, "old")
	if out, err := runTool(t, "checkpoint", srv.URL, oldKey, old); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// A new signing key, same name.
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	l.signer, l.vkey = signer, vkey
	l.mu.Unlock()
	l.grow(5)
	if out, err := runTool(t, "checkpoint", srv.URL, vkey, filepath.Join(dir, "new")); err != nil {
		t.Fatalf("the new key: %v\n%s", err, out)
	}
	if _, err := runTool(t, "checkpoint", srv.URL, oldKey, filepath.Join(dir, "x")); err == nil {
		t.Fatal("a checkpoint signed by the new key opened with the old one")
	}
	if _, err := runTool(t, "consistency", srv.URL, vkey, old); err == nil || !strings.Contains(err.Error(), "note.Open refuses") {
		t.Fatalf("an old checkpoint opened with the new key alone: %v", err)
	}
	if out, err := runTool(t, "consistency", srv.URL, oldKey+","+vkey, old); err != nil {
		t.Fatalf("both keys: %v\n%s", err, out)
	}
	_, otherName, _ := note.GenerateKey(rand.Reader, "other.origin")
	if _, err := runTool(t, "checkpoint", srv.URL, vkey+","+otherName, filepath.Join(dir, "y")); err == nil || !strings.Contains(err.Error(), "two names") {
		t.Fatalf("keys of two names: %v", err)
	}
}
