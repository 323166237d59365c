package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestJSONDocumented runs every command that takes --json and checks that
// each type and field docs/json.md lists appears in their output, that
// they print nothing it does not list, and that nothing is HTML-escaped.
// Types are per section of docs/json.md ("## `shoal get --json` ..."): get's
// start is not tracker's start.
func TestJSONDocumented(t *testing.T) {
	doc := readRepoFile(t, "docs/json.md")
	seen := map[string]map[string]bool{} // "section type" -> fields seen
	// section is the command a section of docs/json.md is named after.
	collect := func(section, what, out string) {
		t.Helper()
		if strings.Contains(out, `\u0026`) || strings.Contains(out, `\u003c`) {
			t.Errorf("%s: HTML-escaped JSON: %s", what, out)
		}
		dec := json.NewDecoder(strings.NewReader(out))
		for {
			var obj map[string]any
			if err := dec.Decode(&obj); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: not JSON (%v):\n%s", what, err, out)
			}
			typ, _ := obj["type"].(string)
			if typ == "" {
				t.Errorf("%s: an object without a type: %v", what, obj)
			}
			key := section + " " + typ
			if seen[key] == nil {
				seen[key] = map[string]bool{}
			}
			for k := range obj {
				seen[key][k] = true
			}
		}
	}

	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 100_000, "b.txt": 10})
	tor := filepath.Join(dir, "dataset.torrent")
	code, out, errs := shoalRun(t, "create", data, "-o", tor, "--json", "--tracker", "http://127.0.0.1:1/announce?a=1&b=2", "--comment", "c")
	if code != 0 {
		t.Fatalf("create: %d %s", code, errs)
	}
	collect("create", "create", out)
	_, out, _ = shoalRun(t, "info", "--json", tor)
	collect("info", "info", out)
	_, out, _ = shoalRun(t, "info", "--json", "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=x&x.pe=127.0.0.1:1")
	collect("info", "info magnet", out)
	_, out, _ = shoalRun(t, "version", "--json")
	collect("version", "version", out)

	p := shoalStart(t, "seed", tor, "--data", dir, "--json", "--listen", "127.0.0.1:0", "--no-dht", "--state-dir", t.TempDir())
	magnet := p.waitFor(t, `"magnetWithPeer":"([^"]+)"`, 30*time.Second)[1]
	code, out, errs = shoalRun(t, "get", magnet, "-o", filepath.Join(dir, "out"), "--json", "--listen", "127.0.0.1:0",
		"--no-dht", "--state-dir", t.TempDir(), "--progress-every", "50ms", "--down-limit", "200KiB")
	if code != 0 {
		t.Fatalf("get: %d %s", code, errs)
	}
	collect("get", "get", out)
	// The same files again, found in the first download's folder: already-had.
	code, out, errs = shoalRun(t, "get", tor, "-o", filepath.Join(dir, "again"), "--reuse", filepath.Join(dir, "out"), "--json",
		"--listen", "127.0.0.1:0", "--no-dht", "--state-dir", t.TempDir())
	if code != 0 || !strings.Contains(out, `"event":"already-had"`) {
		t.Fatalf("get --reuse: %d %s\n%s", code, errs, out)
	}
	collect("get", "get --reuse", out)
	sp := shoalStart(t, "stream", magnet, "-o", filepath.Join(dir, "streamed"), "--json", "--listen", "127.0.0.1:0",
		"--no-dht", "--state-dir", t.TempDir(), "--http", "127.0.0.1:0")
	sp.waitFor(t, `"type":"url"`, 30*time.Second)
	sp.stop()
	<-sp.done
	collect("get", "stream", sp.out.String())
	p.stop()
	<-p.done
	collect("get", "seed", p.out.String())

	// A shared folder that changed since: "changed".
	seedState := t.TempDir()
	for i := range 2 {
		if i == 1 {
			os.WriteFile(filepath.Join(data, "b.txt"), []byte("edited"), 0o644)
		}
		p := shoalStart(t, "seed", data, "--json", "--listen", "127.0.0.1:0", "--no-dht", "--state-dir", seedState)
		p.waitFor(t, `"type":"magnet"`, 30*time.Second)
		p.stop()
		<-p.done
		collect("get", "seed DIR", p.out.String())
	}

	os.Remove(filepath.Join(dir, "out", "dataset", "b.txt"))
	appendBytes(t, filepath.Join(dir, "out", "dataset", "a.bin"), 1)
	_, out, _ = shoalRun(t, "verify", "--json", filepath.Join(dir, "out"), tor)
	collect("verify", "verify", out)

	node := shoalStart(t, "dht", "--json", "--listen", "127.0.0.1:0", "--state", "")
	addr := node.waitFor(t, `"addr":"([^"]+)"`, 10*time.Second)[1]
	_, out, _ = shoalRun(t, "dht", "lookup", "--json", "0123456789abcdef0123456789abcdef01234567", "--bootstrap", addr,
		"--state", "", "--timeout", "2s", "--listen", "127.0.0.1:0")
	collect("dht lookup", "dht lookup", out)
	node.stop()
	<-node.done
	collect("dht", "dht", node.out.String())

	tr := shoalStart(t, "tracker", "--json", "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--state", "", "--log-level", "error")
	trHTTP := tr.waitFor(t, `"http":"([^"]+)"`, 10*time.Second)[1]
	if resp, err := http.Get("http://" + trHTTP + "/announce?info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-SH0001-000000000001&port=1&left=0"); err == nil {
		resp.Body.Close()
	}
	tr.stop()
	<-tr.done
	collect("tracker", "tracker", tr.out.String())

	sectionRx := regexp.MustCompile("^## `shoal ([a-z ]+?) --json`")
	typeRx := regexp.MustCompile("^### `([a-z]+)`")
	fieldRx := regexp.MustCompile("^\\| `([a-zA-Z0-9]+)` \\|")
	docFields := map[string]map[string]bool{}
	section, typ := "", ""
	for _, line := range strings.Split(doc, "\n") {
		if m := sectionRx.FindStringSubmatch(line); m != nil {
			section, typ = m[1], ""
		} else if strings.HasPrefix(line, "## ") {
			t.Fatalf("docs/json.md: section %q is not named \"## `shoal COMMAND --json`\"", line)
		} else if m := typeRx.FindStringSubmatch(line); m != nil && section != "" {
			typ = section + " " + m[1]
			docFields[typ] = map[string]bool{}
		} else if m := fieldRx.FindStringSubmatch(line); m != nil && typ != "" {
			docFields[typ][m[1]] = true
		}
	}
	if len(docFields) < 10 {
		t.Fatalf("found only %d documented types in docs/json.md; is the format still '### `type`' and '| `field` |'?", len(docFields))
	}
	for typ, fields := range docFields {
		if seen[typ] == nil {
			t.Errorf("docs/json.md documents type %q, which no command printed", typ)
			continue
		}
		for f := range fields {
			if !seen[typ][f] {
				t.Errorf("docs/json.md documents field %q of %q, which never appeared", f, typ)
			}
		}
	}
	for typ, fields := range seen {
		for f := range fields {
			if docFields[typ] == nil || !docFields[typ][f] {
				t.Errorf("%q of %q is printed but not in docs/json.md", f, typ)
			}
		}
	}
}
