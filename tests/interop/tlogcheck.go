// Command tlogcheck checks what a Programme Ledger server publishes about its
// event log against the Go reference code of the transparency-log formats:
// golang.org/x/mod/sumdb/note opens the C2SP signed checkpoints, and
// golang.org/x/mod/sumdb/tlog checks the RFC 6962 inclusion and consistency
// proofs.
//
//	tlogcheck checkpoint  URL VKEY OUTFILE   open the current checkpoint, keep it in OUTFILE
//	tlogcheck inclusion   URL VKEY N         N random positions (and the first and the last)
//	tlogcheck consistency URL VKEY OLDFILE   the checkpoint in OLDFILE against the current one
//
// URL is the server's base address (http://127.0.0.1:PORT), VKEY the
// verifier key of the log ("<name>+<hex key hash>+<base64 key>"), or several
// separated by commas (a log's keys before and after a rotation): a
// checkpoint must carry a valid signature by one of them. The event
// log (/v1/events) needs a bearer token: it is taken from LEDGER_TOKEN.
// TLOGCHECK_SEED, when set, fixes the random choices.
//
// The leaves are the events in position order (leaf index = position - 1);
// a leaf's data is the event's 32-byte chain hash, the SHA-256 of the
// event's canonical bytes. The checker hashes the bytes /v1/events serves
// (its "canonical", base64) itself, and requires them to name the position
// asked and to hash to the "hash" the event shows.
//
// Each subcommand also makes sure that its checks can fail: a proof with one
// hash changed, a checkpoint with one byte changed, or a key other than
// VKEY must be refused by the same code, or the run fails.
//
// Exit status: 0 when every check passed, 1 when one failed (the reason on
// standard error), 2 for a wrong command line.
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func main() {
	err := run(os.Args[1:], os.Stdout)
	var u usageError
	if errors.As(err, &u) {
		fmt.Fprintln(os.Stderr, "tlogcheck:", err)
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tlogcheck: FAIL:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  tlogcheck checkpoint  URL VKEY OUTFILE
  tlogcheck inclusion   URL VKEY N
  tlogcheck consistency URL VKEY OLDFILE
`

type usageError string

func (e usageError) Error() string { return string(e) }

func run(args []string, out io.Writer) error {
	if len(args) != 4 {
		return usageError("expected a subcommand and three arguments")
	}
	c, err := newChecker(args[1], args[2], out)
	if err != nil {
		return err
	}
	switch args[0] {
	case "checkpoint":
		return c.checkpoint(args[3])
	case "inclusion":
		n, err := strconv.Atoi(args[3])
		if err != nil || n < 0 {
			return usageError("N must be a count: " + args[3])
		}
		return c.inclusion(n)
	case "consistency":
		return c.consistency(args[3])
	}
	return usageError("unknown subcommand " + strconv.Quote(args[0]))
}

type checker struct {
	base   *url.URL
	keys   []note.Verifier
	known  note.Verifiers
	name   string // the keys' name: the log's origin
	token  string
	client *http.Client
	rng    *mrand.Rand
	seed   int64
	out    io.Writer
}

func newChecker(base, vkey string, out io.Writer) (*checker, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageError("URL must be http://HOST:PORT: " + base)
	}
	var keys []note.Verifier
	for _, k := range strings.Split(vkey, ",") {
		v, err := note.NewVerifier(k)
		if err != nil {
			return nil, fmt.Errorf("verifier key %q: %v", k, err)
		}
		if len(keys) > 0 && v.Name() != keys[0].Name() {
			return nil, fmt.Errorf("verifier keys of two names: %q and %q", keys[0].Name(), v.Name())
		}
		keys = append(keys, v)
	}
	seed := time.Now().UnixNano()
	if s := os.Getenv("TLOGCHECK_SEED"); s != "" {
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			return nil, usageError("TLOGCHECK_SEED must be an integer")
		}
	}
	return &checker{
		base:  u,
		keys:  keys,
		known: note.VerifierList(keys...),
		name:  keys[0].Name(),
		token: os.Getenv("LEDGER_TOKEN"),
		// No proxy: the server is the one named, on this machine in tests.
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil}},
		rng:    mrand.New(mrand.NewSource(seed)),
		seed:   seed,
		out:    out,
	}, nil
}

func (c *checker) logf(format string, a ...interface{}) { fmt.Fprintf(c.out, format+"\n", a...) }

// get fetches path (with its query) from the server; it must answer 200.
func (c *checker) get(path string, auth bool) (body []byte, contentType string, err error) {
	ref, err := url.Parse(path)
	if err != nil {
		return nil, "", err
	}
	req, err := http.NewRequest("GET", c.base.ResolveReference(ref).String(), nil)
	if err != nil {
		return nil, "", err
	}
	if auth {
		if c.token == "" {
			return nil, "", errors.New("LEDGER_TOKEN is not set: " + path + " needs a bearer token")
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s: status %d: %s", path, resp.StatusCode, bytes.TrimSpace(body))
	}
	return body, resp.Header.Get("Content-Type"), nil
}

func (c *checker) getJSON(path string, auth bool, v interface{}) error {
	body, ct, err := c.get(path, auth)
	if err != nil {
		return err
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return fmt.Errorf("GET %s: Content-Type %q, not application/json", path, ct)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("GET %s: %v", path, err)
	}
	return nil
}

// ---------------------------------------------------------------------------
// Checkpoints (C2SP tlog-checkpoint in a C2SP signed note).

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
	note   []byte // the signed note as served
}

// parseCheckpointBody reads the text of a checkpoint note: the origin, the
// tree size in decimal, the root hash in standard base64, each on its own
// line; extension lines, if any, follow (C2SP allows them, none empty).
func parseCheckpointBody(text string) (origin string, size int64, root tlog.Hash, err error) {
	if !strings.HasSuffix(text, "\n") {
		return "", 0, root, errors.New("checkpoint body does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return "", 0, root, fmt.Errorf("checkpoint body has %d lines, not 3", len(lines))
	}
	origin = lines[0]
	if origin == "" {
		return "", 0, root, errors.New("checkpoint origin line is empty")
	}
	size, err = strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || lines[1] != strconv.FormatInt(size, 10) {
		return "", 0, root, fmt.Errorf("checkpoint size line %q is not a decimal tree size", lines[1])
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize || base64.StdEncoding.EncodeToString(raw) != lines[2] {
		return "", 0, root, fmt.Errorf("checkpoint root line %q is not a base64 SHA-256 hash", lines[2])
	}
	copy(root[:], raw)
	for i, l := range lines[3:] {
		if l == "" {
			return "", 0, root, fmt.Errorf("checkpoint extension line %d is empty", i+1)
		}
	}
	return origin, size, root, nil
}

// openCheckpoint checks the signature of a served checkpoint with the
// verifier keys and reads its body.
func (c *checker) openCheckpoint(msg []byte) (checkpoint, error) {
	n, err := note.Open(msg, c.known)
	if err != nil {
		return checkpoint{}, fmt.Errorf("note.Open refuses the checkpoint: %v\n%s", err, msg)
	}
	signed := false
	for _, s := range n.Sigs {
		for _, k := range c.keys {
			if s.Name == k.Name() && s.Hash == k.KeyHash() {
				signed = true
			}
		}
	}
	if !signed {
		return checkpoint{}, errors.New("the checkpoint carries no signature of the verifier key")
	}
	origin, size, root, err := parseCheckpointBody(n.Text)
	if err != nil {
		return checkpoint{}, err
	}
	if origin != c.name {
		return checkpoint{}, fmt.Errorf("checkpoint origin %q is not the key name %q", origin, c.name)
	}
	if err := c.noteMustFail(msg); err != nil {
		return checkpoint{}, err
	}
	return checkpoint{origin: origin, size: size, root: root, note: msg}, nil
}

// noteMustFail makes sure note.Open, as called here, refuses the same note
// with one byte of its text changed, with one byte of its signature
// changed, and under a key of the same name that did not sign it.
func (c *checker) noteMustFail(msg []byte) error {
	known := c.known
	split := bytes.LastIndex(msg, []byte("\n\n"))
	if split < 1 {
		return errors.New("the checkpoint has no blank line before its signatures")
	}
	// A byte of the text: the last character of the root line.
	text := append([]byte(nil), msg...)
	text[split-1] = otherChar(text[split-1])
	if _, err := note.Open(text, known); err == nil {
		return errors.New("self-check: note.Open accepted the checkpoint with one byte of its text changed")
	}
	// A byte of the signature: the first character of the base64 that
	// follows the key name on the first signature line.
	sig := append([]byte(nil), msg...)
	line := sig[split+2:]
	nl := bytes.IndexByte(line, '\n')
	if nl < 0 {
		return errors.New("the checkpoint's signature line does not end with a newline")
	}
	sp := bytes.LastIndexByte(line[:nl], ' ')
	if sp < 0 || sp+1+8 >= nl {
		return errors.New("the checkpoint's signature line has no signature after the key name")
	}
	line[sp+1+8] = otherChar(line[sp+1+8]) // past the key hash (4 bytes: the first 5.33 characters)
	if _, err := note.Open(sig, known); err == nil {
		return errors.New("self-check: note.Open accepted the checkpoint with one byte of its signature changed")
	}
	// Another key under the same name.
	_, other, err := note.GenerateKey(rand.Reader, c.name)
	if err != nil {
		return err
	}
	ov, err := note.NewVerifier(other)
	if err != nil {
		return err
	}
	if _, err := note.Open(msg, note.VerifierList(ov)); err == nil {
		return errors.New("self-check: note.Open accepted the checkpoint under a key that did not sign it")
	}
	return nil
}

// otherChar is another base64 character than b.
func otherChar(b byte) byte {
	if b == 'A' {
		return 'B'
	}
	return 'A'
}

// fetchCheckpoint fetches /v1/audit/checkpoint (at size when size >= 0) and
// opens it.
func (c *checker) fetchCheckpoint(size int64) (checkpoint, error) {
	path := "/v1/audit/checkpoint"
	if size >= 0 {
		path += "?size=" + strconv.FormatInt(size, 10)
	}
	body, ct, err := c.get(path, false)
	if err != nil {
		return checkpoint{}, err
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "text/plain" || !strings.EqualFold(params["charset"], "utf-8") {
		return checkpoint{}, fmt.Errorf("GET %s: Content-Type %q, not text/plain; charset=utf-8", path, ct)
	}
	cp, err := c.openCheckpoint(body)
	if err != nil {
		return checkpoint{}, fmt.Errorf("GET %s: %v", path, err)
	}
	if size >= 0 && cp.size != size {
		return checkpoint{}, fmt.Errorf("GET %s: the checkpoint is of size %d", path, cp.size)
	}
	return cp, nil
}

func (c *checker) checkpoint(outfile string) error {
	cp, err := c.fetchCheckpoint(-1)
	if err != nil {
		return err
	}
	if err := os.WriteFile(outfile, cp.note, 0o644); err != nil {
		return err
	}
	c.logf("checkpoint: origin %s, size %d, root %s (signature checked; saved in %s)", cp.origin, cp.size, cp.root, outfile)
	return nil
}

// ---------------------------------------------------------------------------
// Inclusion proofs.

type inclusionAnswer struct {
	Position  *int64   `json:"position"`
	LeafIndex *int64   `json:"leaf_index"`
	Size      *int64   `json:"size"`
	LeafHash  *string  `json:"leaf_hash"`
	Hashes    []string `json:"hashes"`
}

type consistencyAnswer struct {
	From   *int64   `json:"from"`
	To     *int64   `json:"to"`
	Hashes []string `json:"hashes"`
}

func decodeHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != tlog.HashSize {
		return h, fmt.Errorf("%q is not a base64 SHA-256 hash", s)
	}
	copy(h[:], raw)
	return h, nil
}

func decodeHashes(list []string) ([]tlog.Hash, error) {
	if list == nil {
		return nil, errors.New(`"hashes" is missing or null`)
	}
	out := make([]tlog.Hash, 0, len(list))
	for _, s := range list {
		h, err := decodeHash(s)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// leafData fetches the event at position and returns its chain hash,
// computed here from the canonical bytes the server serves.
func (c *checker) leafData(position int64) ([]byte, error) {
	var page struct {
		Events []map[string]json.RawMessage `json:"events"`
	}
	path := fmt.Sprintf("/v1/events?from=%d&limit=1", position)
	if err := c.getJSON(path, true, &page); err != nil {
		return nil, err
	}
	if len(page.Events) != 1 {
		return nil, fmt.Errorf("GET %s: %d events, not 1", path, len(page.Events))
	}
	ev := page.Events[0]
	var pos int64
	if err := json.Unmarshal(ev["position"], &pos); err != nil || pos != position {
		return nil, fmt.Errorf("GET %s: the event is at position %s", path, ev["position"])
	}
	var h, canon string
	if err := json.Unmarshal(ev["hash"], &h); err != nil {
		return nil, fmt.Errorf("GET %s: the event has no string \"hash\"", path)
	}
	raw, err := hex.DecodeString(h)
	if err != nil || len(raw) != 32 || hex.EncodeToString(raw) != h {
		return nil, fmt.Errorf("GET %s: \"hash\" %q is not 64 lowercase hex digits", path, h)
	}
	if err := json.Unmarshal(ev["canonical"], &canon); err != nil {
		return nil, fmt.Errorf("GET %s: the event has no string \"canonical\"", path)
	}
	served, err := base64.StdEncoding.DecodeString(canon)
	// "PLE2", the previous hash (32 bytes), the position (8 bytes, big-endian).
	if err != nil || len(served) < 44 || string(served[:4]) != "PLE2" {
		return nil, fmt.Errorf("GET %s: \"canonical\" is not the base64 of an event's canonical bytes", path)
	}
	if at := int64(binary.BigEndian.Uint64(served[36:44])); at != position {
		return nil, fmt.Errorf("GET %s: \"canonical\" is the event at position %d", path, at)
	}
	sum := sha256.Sum256(served)
	if hex.EncodeToString(sum[:]) != h {
		return nil, fmt.Errorf("GET %s: \"canonical\" hashes to %x, the event shows \"hash\" %s", path, sum, h)
	}
	return sum[:], nil
}

// checkInclusion checks the proof of the event at position in the tree of
// cp; returns whether the proof had a hash (so a changed one was tried).
func (c *checker) checkInclusion(cp checkpoint, position int64) (bool, error) {
	data, err := c.leafData(position)
	if err != nil {
		return false, err
	}
	leaf := tlog.RecordHash(data)
	index := position - 1
	path := fmt.Sprintf("/v1/audit/proof/inclusion?position=%d&size=%d", position, cp.size)
	var a inclusionAnswer
	if err := c.getJSON(path, false, &a); err != nil {
		return false, err
	}
	switch {
	case a.Position == nil || *a.Position != position:
		return false, fmt.Errorf("GET %s: \"position\" is not %d", path, position)
	case a.LeafIndex == nil || *a.LeafIndex != index:
		return false, fmt.Errorf("GET %s: \"leaf_index\" is not %d", path, index)
	case a.Size == nil || *a.Size != cp.size:
		return false, fmt.Errorf("GET %s: \"size\" is not %d", path, cp.size)
	case a.LeafHash == nil:
		return false, fmt.Errorf("GET %s: no \"leaf_hash\"", path)
	}
	served, err := decodeHash(*a.LeafHash)
	if err != nil {
		return false, fmt.Errorf("GET %s: \"leaf_hash\": %v", path, err)
	}
	if served != leaf {
		return false, fmt.Errorf("GET %s: \"leaf_hash\" is %s; SHA-256(0x00 || the event's hash) is %s", path, served, leaf)
	}
	proof, err := decodeHashes(a.Hashes)
	if err != nil {
		return false, fmt.Errorf("GET %s: %v", path, err)
	}
	if err := tlog.CheckRecord(tlog.RecordProof(proof), cp.size, cp.root, index, leaf); err != nil {
		return false, fmt.Errorf("GET %s: tlog.CheckRecord refuses the proof of leaf %d in the tree of size %d (root %s, %d hashes): %v",
			path, index, cp.size, cp.root, len(proof), err)
	}
	// The same check must refuse a wrong leaf, and each proof with one hash changed.
	wrong := leaf
	wrong[0] ^= 1
	if tlog.CheckRecord(tlog.RecordProof(proof), cp.size, cp.root, index, wrong) == nil {
		return false, fmt.Errorf("self-check: tlog.CheckRecord accepted a changed leaf at position %d", position)
	}
	for i := range proof {
		bad := append(tlog.RecordProof(nil), proof...)
		bad[i][31] ^= 0x80
		if tlog.CheckRecord(bad, cp.size, cp.root, index, leaf) == nil {
			return false, fmt.Errorf("self-check: tlog.CheckRecord accepted the proof of position %d with hash %d changed", position, i)
		}
	}
	return len(proof) > 0, nil
}

// positions: 1, last, and n random ones in [1, last], without repeats.
func (c *checker) positions(last int64, n int) []int64 {
	seen := map[int64]bool{}
	var out []int64
	add := func(p int64) {
		if p >= 1 && p <= last && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	add(1)
	add(last)
	for i := 0; i < n; i++ {
		add(1 + c.rng.Int63n(last))
	}
	return out
}

func (c *checker) inclusionAt(cp checkpoint, n int) error {
	if cp.size == 0 {
		return errors.New("the tree is empty: no event to prove")
	}
	changed := false
	ps := c.positions(cp.size, n)
	for _, p := range ps {
		had, err := c.checkInclusion(cp, p)
		if err != nil {
			return err
		}
		changed = changed || had
	}
	if cp.size > 1 && !changed {
		return errors.New("self-check: no proof had a hash to change")
	}
	c.logf("inclusion: %d positions proved in the tree of size %d (root %s)", len(ps), cp.size, cp.root)
	return nil
}

func (c *checker) inclusion(n int) error {
	c.logf("inclusion: positions drawn with TLOGCHECK_SEED=%d", c.seed)
	cur, err := c.fetchCheckpoint(-1)
	if err != nil {
		return err
	}
	if err := c.inclusionAt(cur, n); err != nil {
		return err
	}
	if cur.size < 2 {
		c.logf("inclusion: no earlier size to prove at (the tree has %d leaves)", cur.size)
		return nil
	}
	// An earlier tree: its own signed checkpoint, proofs at its size, and
	// the proof that the current tree extends it.
	k := 1 + c.rng.Int63n(cur.size-1)
	old, err := c.fetchCheckpoint(k)
	if err != nil {
		return err
	}
	if old.origin != cur.origin {
		return fmt.Errorf("the checkpoint at size %d names origin %q, the current one %q", k, old.origin, cur.origin)
	}
	if err := c.inclusionAt(old, n/2); err != nil {
		return err
	}
	return c.checkConsistency(old, cur)
}

// ---------------------------------------------------------------------------
// Consistency proofs.

func (c *checker) checkConsistency(old, cur checkpoint) error {
	if old.origin != cur.origin {
		return fmt.Errorf("the old checkpoint names origin %q, the current one %q", old.origin, cur.origin)
	}
	if old.size > cur.size {
		return fmt.Errorf("the log shrank: the old checkpoint has size %d, the current one %d", old.size, cur.size)
	}
	if old.size == 0 {
		c.logf("consistency: the old tree is empty; any tree extends it")
		return nil
	}
	path := fmt.Sprintf("/v1/audit/proof/consistency?from=%d&to=%d", old.size, cur.size)
	var a consistencyAnswer
	if err := c.getJSON(path, false, &a); err != nil {
		return err
	}
	if a.From == nil || *a.From != old.size || a.To == nil || *a.To != cur.size {
		return fmt.Errorf("GET %s: \"from\" and \"to\" are not %d and %d", path, old.size, cur.size)
	}
	proof, err := decodeHashes(a.Hashes)
	if err != nil {
		return fmt.Errorf("GET %s: %v", path, err)
	}
	if err := tlog.CheckTree(tlog.TreeProof(proof), cur.size, cur.root, old.size, old.root); err != nil {
		return fmt.Errorf("GET %s: tlog.CheckTree refuses the proof that the tree of size %d (root %s) extends the one of size %d (root %s), %d hashes: %v",
			path, cur.size, cur.root, old.size, old.root, len(proof), err)
	}
	// The same check must refuse another old root, and each proof with one
	// hash changed.
	wrong := old.root
	wrong[0] ^= 1
	if tlog.CheckTree(tlog.TreeProof(proof), cur.size, cur.root, old.size, wrong) == nil {
		return errors.New("self-check: tlog.CheckTree accepted a changed old root")
	}
	for i := range proof {
		bad := append(tlog.TreeProof(nil), proof...)
		bad[i][31] ^= 0x80
		if tlog.CheckTree(bad, cur.size, cur.root, old.size, old.root) == nil {
			return fmt.Errorf("self-check: tlog.CheckTree accepted the proof from %d to %d with hash %d changed", old.size, cur.size, i)
		}
	}
	if old.size < cur.size && len(proof) == 0 {
		return fmt.Errorf("GET %s: an empty proof between different sizes", path)
	}
	c.logf("consistency: the tree of size %d (root %s) extends the one of size %d (root %s); %d hashes",
		cur.size, cur.root, old.size, old.root, len(proof))
	return nil
}

func (c *checker) consistency(oldfile string) error {
	msg, err := os.ReadFile(oldfile)
	if err != nil {
		return err
	}
	old, err := c.openCheckpoint(msg)
	if err != nil {
		return fmt.Errorf("%s: %v", oldfile, err)
	}
	cur, err := c.fetchCheckpoint(-1)
	if err != nil {
		return err
	}
	if old.size == cur.size {
		if old.root != cur.root {
			return fmt.Errorf("two checkpoints of size %d with different roots: %s and %s", cur.size, old.root, cur.root)
		}
		c.logf("consistency: the log has not grown since %s (size %d)", oldfile, cur.size)
		return nil
	}
	return c.checkConsistency(old, cur)
}
