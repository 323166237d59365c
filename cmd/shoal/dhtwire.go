package main

import (
	"context"
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

var _ swarm.DHT = (*sessionDHT)(nil)

func (d *sessionDHT) Announce(ctx context.Context, ih [20]byte, port int) ([]netip.AddrPort, error) {
	n := d.node.Load()
	if n == nil {
		return nil, dht.ErrNoNodes
	}
	return n.Announce(ctx, ih, port)
}

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
	cfg.Conn = conn
	n, err := dht.New(cfg)
	if err != nil {
		conn.Close()
		return err
	}
	d.node.Store(n)
	run(func() error { return n.Run(ctx) })
	return nil
}
