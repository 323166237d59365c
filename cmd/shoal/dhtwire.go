package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"

	"github.com/shoal-bt/shoal/dht"
	"github.com/shoal-bt/shoal/swarm"
)

// sessionDHT hands the engine a DHT node that starts after the engine has
// bound its peer port, so the node can share that port number on UDP (BEP 5
// implied-port announces then name the right port).
type sessionDHT struct {
	node atomic.Pointer[dht.Node]
}

var (
	_ swarm.DHT         = (*sessionDHT)(nil)
	_ swarm.DHTStreamer = (*sessionDHT)(nil)
)

func (d *sessionDHT) Announce(ctx context.Context, ih [20]byte, port int) ([]netip.AddrPort, error) {
	return d.AnnounceStream(ctx, ih, port, nil)
}

func (d *sessionDHT) AnnounceStream(ctx context.Context, ih [20]byte, port int, found func([]netip.AddrPort)) ([]netip.AddrPort, error) {
	n := d.node.Load()
	if n == nil {
		return nil, dht.ErrNoNodes
	}
	peers, st, err := n.AnnounceFound(ctx, ih, port, found)
	if err == nil && st.Announced == 0 {
		// A lookup that reached nobody (a table of stale contacts, say) is a
		// failure to the engine, which then retries in seconds rather than
		// at the next period.
		err = errAnnouncedToNobody
	}
	return peers, err
}

var errAnnouncedToNobody = errors.New("dht: the announce reached no node")

// DHTSnapshot lets the engine put the node's state in its snapshots (the
// engine adds its own lookups' results).
func (d *sessionDHT) DHTSnapshot() swarm.DHTSnapshot {
	n := d.node.Load()
	if n == nil {
		return swarm.DHTSnapshot{Enabled: true}
	}
	st := n.Stats()
	return swarm.DHTSnapshot{Enabled: true, Addr: n.Addr().String(), Nodes: st.Nodes, GoodNodes: st.GoodNodes}
}

// start binds UDP on the engine's peer port and runs the node until ctx
// ends (saving its routing table on the way out).
func (d *sessionDHT) start(ctx context.Context, cfg dht.Config, peerAddr netip.AddrPort, run func(func() error)) error {
	udp := netip.AddrPortFrom(peerAddr.Addr(), peerAddr.Port())
	conn, err := net.ListenPacket("udp", udp.String())
	if err != nil {
		// The port is free on TCP but taken on UDP: any port still works,
		// announces then carry the port explicitly.
		if conn, err = net.ListenPacket("udp", netip.AddrPortFrom(peerAddr.Addr(), 0).String()); err != nil {
			return fmt.Errorf("dht: %w", err)
		}
	}
	release := func() {}
	if cfg.StateFile != "" {
		if cfg.StateFile, release, err = claimStateFile(cfg.StateFile); err != nil {
			conn.Close()
			return err
		}
	}
	cfg.Conn = conn
	n, err := dht.New(cfg)
	if err != nil {
		release()
		conn.Close()
		return err
	}
	d.node.Store(n)
	run(func() error {
		defer release() // after the node's last save
		return n.Run(ctx)
	})
	return nil
}
