//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/toxics"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"
)

// network is what a scenario puts between one peer and everybody who
// connects to it: the toxics of that peer's proxy.
type network struct {
	OneWay time.Duration // latency added in each direction
	KBps   int64         // each connection's cap in each direction, 1000 bytes/s units; 0: none
	Uplink int64         // bytes/s shared by all the peer's connections towards its clients; 0: none
}

func (n network) String() string {
	var parts []string
	if n.OneWay > 0 {
		parts = append(parts, fmt.Sprintf("%v one-way", n.OneWay))
	}
	if n.KBps > 0 {
		parts = append(parts, fmt.Sprintf("%.1f MB/s per connection", float64(n.KBps)/1000))
	}
	if n.Uplink > 0 {
		parts = append(parts, fmt.Sprintf("%.1f MB/s uplink", float64(n.Uplink)/1e6))
	}
	if len(parts) == 0 {
		return "no toxics"
	}
	return strings.Join(parts, ", ")
}

var api = toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())

func init() {
	// The bandwidth toxic logs through zerolog's global logger.
	zerolog.SetGlobalLevel(zerolog.ErrorLevel)
	toxics.Register("shoal_meter", new(meter))
	toxics.Register("shoal_uplink", new(uplink))
}

// proxy is a Toxiproxy proxy on 127.0.0.1 in front of one peer. meter counts
// what it delivers towards the peer's clients (the peer's upload).
type proxy struct {
	*toxiproxy.Proxy
	meter *meter
}

// newProxy starts a proxy with net's toxics in front of upstream; epoch is
// the time its meter counts from.
func newProxy(name, upstream string, net network, epoch time.Time) (*proxy, error) {
	p := &proxy{Proxy: toxiproxy.NewProxy(api, name, "127.0.0.1:0", upstream)}
	add := func(json string) (*toxics.ToxicWrapper, error) {
		w, err := p.Toxics.AddToxicJson(strings.NewReader(json))
		if err != nil {
			return nil, fmt.Errorf("proxy %s: toxic %s: %w", name, json, err)
		}
		return w, nil
	}
	if net.Uplink > 0 {
		w, err := add(`{"name":"uplink","type":"shoal_uplink","stream":"downstream"}`)
		if err != nil {
			return nil, err
		}
		w.Toxic.(*uplink).lim = rate.NewLimiter(rate.Limit(net.Uplink), 64<<10)
	}
	for _, dir := range []string{"downstream", "upstream"} {
		if net.KBps > 0 {
			if _, err := add(fmt.Sprintf(`{"name":"bw_%s","type":"bandwidth","stream":"%s","attributes":{"rate":%d}}`, dir, dir, net.KBps)); err != nil {
				return nil, err
			}
		}
		if net.OneWay > 0 {
			if _, err := add(fmt.Sprintf(`{"name":"lat_%s","type":"latency","stream":"%s","attributes":{"latency":%d}}`, dir, dir, net.OneWay.Milliseconds())); err != nil {
				return nil, err
			}
		}
	}
	// Toxicity 0 until reset() raises it; being in the chain from the
	// start makes Toxiproxy set SO_LINGER 0 on every connection, so that
	// a reset is a TCP RST, not a FIN. It sits after the latency toxic,
	// whose buffer holds up to 1024 chunks: placed before it, a reset let
	// megabytes in flight drain to the client first.
	if _, err := add(`{"name":"reset","type":"reset_peer","stream":"downstream","toxicity":0,"attributes":{"timeout":0}}`); err != nil {
		return nil, err
	}
	w, err := add(`{"name":"meter","type":"shoal_meter","stream":"downstream"}`)
	if err != nil {
		return nil, err
	}
	p.meter = w.Toxic.(*meter)
	p.meter.epoch = epoch
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("proxy %s: %w", name, err)
	}
	return p, nil
}

// reset cuts every connection of the proxy with a TCP RST, as a NAT that
// forgot its mappings or a flapping link would, and lets new ones through
// again once all of those are gone (a connection is cut at its next chunk,
// and one idle between request rounds has none for a while). Connections
// opened meanwhile are cut too. It returns when it began.
func (p *proxy) reset() time.Time {
	n := p.meter.started()
	p.Toxics.UpdateToxicJson("reset", strings.NewReader(`{"toxicity":1}`))
	at := time.Now()
	for p.meter.anyOpen(n) && time.Since(at) < 5*time.Second {
		time.Sleep(time.Millisecond)
	}
	p.Toxics.UpdateToxicJson("reset", strings.NewReader(`{"toxicity":0}`))
	return at
}

// flowLimit measures one TCP flow through a proxy with net's toxics: the
// rate at which it moves size bytes (or what it moved in max), from dial
// to last byte, from a source that writes as fast as the kernel takes it.
func flowLimit(net network, size int64, max time.Duration) (float64, error) {
	src, err := newSource()
	if err != nil {
		return 0, err
	}
	defer src.Close()
	p, err := newProxy("flow", src.Addr().String(), net, time.Now())
	if err != nil {
		return 0, err
	}
	defer p.Stop()
	start := time.Now()
	c, err := dial(p.Listen)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetReadDeadline(start.Add(max))
	n, _ := io.CopyN(io.Discard, c, size)
	if n == 0 {
		return 0, fmt.Errorf("no byte came through the proxy in %v", max)
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

func dial(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, 5*time.Second) }

// source is a TCP server that writes until the reader hangs up.
type source struct {
	net.Listener
	wg sync.WaitGroup
}

func newSource() (*source, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &source{Listener: l}
	s.wg.Go(func() {
		buf := make([]byte, 256<<10)
		for i := range buf {
			buf[i] = byte(i * 7)
		}
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() {
				defer c.Close()
				for {
					if _, err := c.Write(buf); err != nil {
						return
					}
				}
			})
		}
	})
	return s, nil
}

func (s *source) Close() error {
	err := s.Listener.Close()
	s.wg.Wait()
	return err
}

// uplink delays chunks against one rate limiter shared by all the proxy's
// connections: a peer's upload capacity, which Toxiproxy's own bandwidth
// toxic (per connection) cannot model.
type uplink struct {
	lim *rate.Limiter
}

func (u *uplink) Pipe(stub *toxics.ToxicStub) {
	for {
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				stub.Close()
				return
			}
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				select {
				case <-stub.Interrupt:
					cancel()
				case <-ctx.Done():
				}
			}()
			err := u.lim.WaitN(ctx, min(len(c.Data), u.lim.Burst()))
			cancel()
			stub.Output <- c // never drop data, even when interrupted
			if err != nil {
				return
			}
		}
	}
}
