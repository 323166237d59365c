package swarm

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// maxTorrentFields is issue 11's budget: past it, nobody can say who owns
// what. A new piece of state joins the group of its owner (traffic,
// published, sources...) or the content, and doc.go's map says so.
const maxTorrentFields = 35

// TestOwnership_MapNamesEveryField keeps doc.go's ownership map whole:
// every field of torrent and of content is named in it, and torrent stays
// within its budget of fields.
func TestOwnership_MapNamesEveryField(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	start, end := strings.Index(text, "# Ownership"), strings.Index(text, "# Policy")
	if start < 0 || end < start {
		t.Fatal("doc.go has no # Ownership section before # Policy")
	}
	section := text[start:end]
	for _, typ := range []reflect.Type{reflect.TypeFor[torrent](), reflect.TypeFor[content]()} {
		for f := range typ.Fields() {
			if !regexp.MustCompile(`\b` + f.Name + `\b`).MatchString(section) {
				t.Errorf("%s.%s is not in doc.go's ownership map: say which goroutine owns it", typ.Name(), f.Name)
			}
		}
	}
	if n := reflect.TypeFor[torrent]().NumField(); n > maxTorrentFields {
		t.Errorf("torrent has %d fields, over the budget of %d: group state with its owner, or move it to content", n, maxTorrentFields)
	}
}
