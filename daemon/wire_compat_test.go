package daemon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAddRequest_OldKeys: a client that sends the camelCase keys of
// earlier releases still gets super-seeding and hard links; what is
// written now is snake_case.
func TestAddRequest_OldKeys(t *testing.T) {
	for _, body := range []string{
		`{"source":"x","superSeed":true,"reuseLink":true}`,
		`{"source":"x","super_seed":true,"reuse_link":true}`,
	} {
		var r AddRequest
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		if r.Source != "x" || !r.SuperSeed || !r.ReuseLink {
			t.Errorf("%s: decoded %+v", body, r)
		}
	}
	out, err := json.Marshal(AddRequest{SuperSeed: true, ReuseLink: true})
	if err != nil {
		t.Fatal(err)
	}
	if s := string(out); !strings.Contains(s, `"super_seed":true`) || !strings.Contains(s, `"reuse_link":true`) || strings.Contains(s, "Seed") {
		t.Errorf("encoded %s", s)
	}
	var r AddRequest
	if err := json.Unmarshal([]byte(`{"source":"y"}`), &r); err != nil || r.SuperSeed || r.ReuseLink || r.Source != "y" {
		t.Errorf("plain request decoded %+v, %v", r, err)
	}
	if err := json.Unmarshal([]byte(`{"source":"y","superseeed":true}`), &r); err == nil {
		t.Error("a misspelt key was accepted")
	}
}

// TestLibrary_OldSuperSeedKey: a library.json written before the key was
// renamed keeps its super-seeding torrent super-seeding after an upgrade.
func TestLibrary_OldSuperSeedKey(t *testing.T) {
	l := &Library{Dir: t.TempDir()}
	old := `[{"infohash":"0123456789abcdef0123456789abcdef01234567","dir":"/d","added":"2026-01-02T03:04:05Z","superSeed":true},` +
		`{"infohash":"1123456789abcdef0123456789abcdef01234567","dir":"/e","added":"2026-01-02T03:04:05Z"}]`
	if err := os.WriteFile(filepath.Join(l.Dir, "library.json"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	es, err := l.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || !es[0].SuperSeed || es[1].SuperSeed || es[0].Dir != "/d" || es[0].Added.IsZero() {
		t.Fatalf("loaded %+v", es)
	}
	b, err := json.Marshal(es[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"super_seed":true`) {
		t.Errorf("saved as %s", b)
	}
}
