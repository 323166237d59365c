package main

import (
	"path/filepath"
	"testing"
)

// TestClaimStateFile: two processes (here, two claims) get two routing
// tables, so two DHT nodes never share one node id; a released name is
// taken again.
func TestClaimStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dht.dat")
	p1, release1, err := claimStateFile(path)
	if err != nil || p1 != path {
		t.Fatalf("first claim: %q, %v", p1, err)
	}
	p2, release2, err := claimStateFile(path)
	if err != nil || p2 != filepath.Join(filepath.Dir(path), "dht-2.dat") {
		t.Fatalf("second claim: %q, %v; want dht-2.dat", p2, err)
	}
	defer release2()
	release1()
	p3, release3, err := claimStateFile(path)
	if err != nil || p3 != path {
		t.Fatalf("claim after release: %q, %v", p3, err)
	}
	release3()
}
