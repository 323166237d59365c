package dht

import (
	"context"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// countingListener is a UDP socket that only counts what reaches it.
func countingListener(t *testing.T) (netip.AddrPort, *atomic.Int64) {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			if _, _, err := c.ReadFrom(buf); err != nil {
				return
			}
			n.Add(1)
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return netip.MustParseAddrPort(c.LocalAddr().String()), &n
}

// TestPersistence_RestartWithoutBootstrap: a node saves its table on exit;
// restarted while its bootstrap node is gone, with a bootstrap entry that
// only counts packets, it keeps its id, finds the seed, and never touches
// the bootstrap list.
func TestPersistence_RestartWithoutBootstrap(t *testing.T) {
	nodes := startNetwork(t, 30, Config{})
	boot := nodes[0]
	stateFile := filepath.Join(t.TempDir(), "state", "dht.dat")

	x, stopX := runNode(t, Config{Bootstrap: []string{boot.Addr().String()}, StateFile: stateFile})
	waitContacts(t, x, 8)
	ih := randomHash()
	seed := nodes[len(nodes)-1]
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := seed.Announce(ctx, ih, 7000); err != nil {
		t.Fatal(err)
	}
	if err := stopX(); err != nil {
		t.Fatalf("first run: %v", err)
	}
	saved, ok, err := loadState(stateFile)
	if err != nil || !ok || len(saved.Nodes) < 8 || saved.ID != x.ID() {
		t.Fatalf("state after first run: %d nodes, id %x (node %x), ok %v, err %v", len(saved.Nodes), saved.ID[:4], x.ID(), ok, err)
	}

	boot.Close() // the bootstrap node is gone for good
	trap, trapped := countingListener(t)
	// A short query timeout: the saved table still lists the dead
	// bootstrap node, and a lookup waits out its query.
	y := newNode(t, Config{Bootstrap: []string{trap.String()}, StateFile: stateFile, QueryTimeout: 300 * time.Millisecond})
	if y.ID() != x.ID() {
		t.Errorf("restarted with id %x, want the saved %x", y.ID(), x.ID())
	}
	if got := y.Stats().Nodes; got < 8 {
		t.Fatalf("restarted with %d nodes in the table, want the %d saved", got, len(saved.Nodes))
	}
	peers, st, err := y.GetPeers(ctx, ih)
	if err != nil {
		t.Fatal(err)
	}
	want := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 7000)
	if !slices.Contains(peers, want) {
		t.Fatalf("after restart: peers %v, want %v (%+v)", peers, want, st)
	}
	t.Logf("after restart: found the seed in %v, %d contacted", st.Duration, st.NodesContacted)
	if got := y.Stats().BootstrapFallbacks; got != 0 {
		t.Errorf("bootstrap list consulted %d times, want 0", got)
	}
	if got := trapped.Load(); got != 0 {
		t.Errorf("%d packets reached the bootstrap address, want 0", got)
	}
}

// TestPersistence_ReadOnly: a read-only user of the state file gets the
// contacts but not the id, and never writes the file.
func TestPersistence_ReadOnly(t *testing.T) {
	stateFile := filepath.Join(t.TempDir(), "dht.dat")
	// Loopback only: Run bootstraps from these. The IPv6 one is skipped
	// by an IPv4 node.
	st := state{ID: randomHash(), Nodes: []contact{
		{ID: randomHash(), Addr: netip.MustParseAddrPort("127.0.0.1:9")},
		{ID: randomHash(), Addr: netip.MustParseAddrPort("127.0.0.2:9")},
		{ID: randomHash(), Addr: netip.MustParseAddrPort("[::1]:9")},
	}}
	if err := saveState(stateFile, st); err != nil {
		t.Fatal(err)
	}
	n, stop := runNode(t, Config{StateFile: stateFile, StateReadOnly: true})
	if n.ID() == st.ID {
		t.Error("read-only node took the saved id")
	}
	if got := n.Stats().Nodes; got != 2 {
		t.Errorf("loaded %d nodes, want the 2 IPv4 ones", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	again, _, err := loadState(stateFile)
	if err != nil || !again.equal(st) {
		t.Errorf("state file changed: %+v, %v", again, err)
	}
}

// TestPersistence_CorruptFileIgnored: a damaged file costs a cold start, not
// the run, and is replaced on the next save.
func TestPersistence_CorruptFileIgnored(t *testing.T) {
	stateFile := filepath.Join(t.TempDir(), "dht.dat")
	if err := saveState(stateFile, state{}); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(stateFile, "garbage"); err != nil {
		t.Fatal(err)
	}
	n, stop := runNode(t, Config{StateFile: stateFile})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	st, ok, err := loadState(stateFile)
	if err != nil || !ok || st.ID != n.ID() {
		t.Fatalf("after run: %+v, %v, %v; want a fresh state with id %x", st, ok, err, n.ID())
	}
}

// TestPersistence_PeriodicSave: a running node writes its table every
// SaveEvery, not only on exit, so a crash loses at most that much.
func TestPersistence_PeriodicSave(t *testing.T) {
	boot, _ := runNode(t, Config{})
	stateFile := filepath.Join(t.TempDir(), "dht.dat")
	n, _ := runNode(t, Config{Bootstrap: []string{boot.Addr().String()}, StateFile: stateFile, SaveEvery: 20 * time.Millisecond})
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, ok, err := loadState(stateFile)
		if err != nil {
			t.Fatal(err)
		}
		if ok && len(st.Nodes) > 0 && st.ID == n.ID() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no state with contacts saved while running: %+v, %v", st, ok)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPersistence_StaleStateFallsBackToBootstrap: a state file whose
// contacts are all gone (saved days ago, say) must not leave the node alone
// when bootstrap nodes are configured.
func TestPersistence_StaleStateFallsBackToBootstrap(t *testing.T) {
	nodes := startNetwork(t, 20, Config{})
	ih := randomHash()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := nodes[len(nodes)-1].Announce(ctx, ih, 7001); err != nil {
		t.Fatal(err)
	}

	stateFile := filepath.Join(t.TempDir(), "dht.dat")
	var st state
	st.ID = randomHash()
	for range 16 {
		st.Nodes = append(st.Nodes, contact{ID: randomHash(), Addr: deadUDPAddr(t)})
	}
	if err := saveState(stateFile, st); err != nil {
		t.Fatal(err)
	}
	y, _ := runNode(t, Config{Bootstrap: []string{nodes[0].Addr().String()}, StateFile: stateFile, QueryTimeout: 300 * time.Millisecond})
	deadline := time.Now().Add(15 * time.Second)
	for {
		lctx, lcancel := context.WithTimeout(t.Context(), 5*time.Second)
		peers, _, err := y.GetPeers(lctx, ih)
		lcancel()
		if err == nil && slices.Contains(peers, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 7001)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("node with a stale state file found %v, %v; want the announced peer via the bootstrap node", peers, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// deadUDPAddr is a loopback UDP address nobody listens on.
func deadUDPAddr(t *testing.T) netip.AddrPort {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ap := c.LocalAddr().(*net.UDPAddr).AddrPort()
	c.Close()
	return ap
}

// TestPersistence_DeadContactsNotSavedAgain: contacts that never answered
// during a run are left out of the file it saves, so a table of gone nodes
// does not grow restart after restart. A run that heard nobody at all
// keeps what it had.
func TestPersistence_DeadContactsNotSavedAgain(t *testing.T) {
	nodes := startNetwork(t, 20, Config{})
	stateFile := filepath.Join(t.TempDir(), "dht.dat")
	var st state
	st.ID = randomHash()
	dead := map[netip.AddrPort]bool{}
	for range 6 {
		a := deadUDPAddr(t)
		dead[a] = true
		st.Nodes = append(st.Nodes, contact{ID: randomHash(), Addr: a})
	}
	if err := saveState(stateFile, st); err != nil {
		t.Fatal(err)
	}
	x, stop := runNode(t, Config{Bootstrap: []string{nodes[0].Addr().String()}, StateFile: stateFile, QueryTimeout: 300 * time.Millisecond})
	for deadline := time.Now().Add(10 * time.Second); x.Stats().GoodNodes < 8; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d nodes answered", x.Stats().GoodNodes)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	saved, ok, err := loadState(stateFile)
	if err != nil || !ok {
		t.Fatalf("load: %v %v", ok, err)
	}
	if len(saved.Nodes) < 8 {
		t.Fatalf("saved %d contacts, want the live ones (at least 8)", len(saved.Nodes))
	}
	for _, c := range saved.Nodes {
		if dead[c.Addr] {
			t.Errorf("saved %v again, which never answered", c.Addr)
		}
	}

	// Offline: only dead contacts and no bootstrap; nothing answers, so
	// the file keeps them rather than losing the whole table.
	if err := saveState(stateFile, st); err != nil {
		t.Fatal(err)
	}
	_, stop = runNode(t, Config{StateFile: stateFile, QueryTimeout: 300 * time.Millisecond})
	time.Sleep(100 * time.Millisecond)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	saved, _, _ = loadState(stateFile)
	if len(saved.Nodes) != len(st.Nodes) {
		t.Errorf("offline run saved %d contacts, want the %d it had", len(saved.Nodes), len(st.Nodes))
	}
}

// TestLookup_SkipsSilentContacts: right after a restart, the bootstrap has
// already queried every saved contact; a lookup that starts before the
// silent ones time out must not ask them again and wait out the same
// timeouts, and it still finds the peer.
func TestLookup_SkipsSilentContacts(t *testing.T) {
	nodes := startNetwork(t, 20, Config{})
	ih := randomHash()
	if _, err := nodes[len(nodes)-1].Announce(t.Context(), ih, 7002); err != nil {
		t.Fatal(err)
	}
	silent, got := countingListener(t)
	stateFile := filepath.Join(t.TempDir(), "dht.dat")
	// The silent contact's id is the infohash itself: the closest node to
	// it there is, so a lookup for ih would ask it first.
	st := state{ID: randomHash(), Nodes: []contact{{ID: ih, Addr: silent}, {ID: nodes[0].ID(), Addr: nodes[0].Addr()}}}
	if err := saveState(stateFile, st); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	x, _ := runNode(t, Config{StateFile: stateFile, QueryTimeout: 5 * time.Second})
	for got.Load() == 0 || x.Stats().GoodNodes == 0 {
		if time.Since(start) > 4*time.Second {
			t.Fatalf("bootstrap: %d queries to the silent contact, %d good nodes", got.Load(), x.Stats().GoodNodes)
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(x.silentAfter() + 50*time.Millisecond)
	before := got.Load()
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Second) // under the query timeout
	defer cancel()
	peers, _, err := x.GetPeers(ctx, ih)
	want := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 7002)
	if err != nil || !slices.Contains(peers, want) {
		t.Fatalf("lookup: %v, %v; want %v", peers, err, want)
	}
	if after := got.Load(); after != before {
		t.Errorf("the lookup asked the silent contact %d more times", after-before)
	}
}
