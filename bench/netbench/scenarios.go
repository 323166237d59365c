//go:build linux

package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// leechLimit is how long any one download may take before it counts as
// stuck: generous, the machine may be loaded.
func (b *bench) leechLimit(rate float64) time.Duration {
	return max(2*time.Minute, time.Duration(20*float64(b.size)/rate)*time.Second)
}

// (1) One seed at 100 ms RTT and no cap: does request pipelining fill the
// bandwidth-delay product, and how fast does a new peer ramp up?
func (b *bench) oneSeedRTT() {
	net := network{OneWay: b.rtt / 2}
	flowCPU := selfCPU()
	flow, err := flowLimit(net, b.size, time.Minute)
	check(err)
	flowCPU = selfCPU() - flowCPU
	b.tracker.reset(nil)
	epoch := time.Now()
	seeds, err := b.startSeeds([]network{net}, epoch)
	defer stopSeeds(seeds)
	check(err)
	u := b.startUsage(seeds)
	res := b.leech(1, b.leechLimit(flow))[0]
	check(res.err)
	u.stop(res)
	v := seeds[0].proxy.meter.view()
	data := v.last.Sub(v.first)
	fmt.Printf("(1) 1 seed, %v RTT, no cap:  %6.1f MiB/s start to verified exit (%.2fs), %6.1f MiB/s first to last byte  %s\n",
		b.rtt, mibps(b.size, res.wall), res.wall.Seconds(), mibps(b.size, data), b.tag)
	fmt.Printf("    one-flow limit %.1f MiB/s: shoal at %.0f%% (exit) / %.0f%% (bytes); goal >= 90%%\n",
		flow/(1<<20), 100*mibps(b.size, res.wall)*(1<<20)/flow, 100*mibps(b.size, data)*(1<<20)/flow)
	// The flow's bytes start one way after the dial. A download's first
	// block waits three more one-way trips: our handshake, the seed's
	// (with its bitfield and unchoke), our first requests. No client can
	// skip them, so below some payload 90% of the flow is out of reach.
	floor := float64(b.size)/flow + 1.5*b.rtt.Seconds()
	fmt.Printf("    protocol floor: handshakes and first requests take 1.5 RTT the flow does not: at best %.2fs, %.0f%% of the limit; shoal took %.2fs more\n",
		floor, 100*float64(b.size)/flow/floor, res.wall.Seconds()-floor)
	fmt.Printf("    steady: %.1f MiB/s over the second half of the bytes, %.0f%% of the one-flow limit\n",
		v.secondHalf(), 100*v.secondHalf()*(1<<20)/flow)
	fmt.Printf("    ramp, MiB/s in each second from the first byte: %s\n", ramp(v, v.first.Sub(epoch), 5))
	u.print(b.size, secPerGiB(flowCPU, b.size))
	if os.Getenv("NETBENCH_DEBUG") != "" {
		fmt.Printf("    proxy chunks: %d, %.1f KiB each on average\n", v.chunks, float64(v.total)/float64(max(1, v.chunks))/1024)
		fmt.Printf("    leecher started %.2fs after the epoch; its first byte came %.3fs later, its last %.3fs after that; it exited %.3fs after its last byte\n",
			res.started.Sub(epoch).Seconds(), v.first.Sub(res.started).Seconds(), data.Seconds(), res.started.Add(res.wall).Sub(v.last).Seconds())
		timeline([]meterView{v}, 100*time.Millisecond)
	}
}

// (2) Four seeds at 25 ms one-way and 8 MB/s each, one at 1 MB/s: does the
// leecher fill the sum, split by capacity, and not wait on the slow one?
func (b *bench) unevenSeeds() {
	fast := network{OneWay: 25 * time.Millisecond, KBps: 8000}
	slow := network{OneWay: 25 * time.Millisecond, KBps: 1000}
	nets := []network{fast, fast, fast, fast, slow}
	// The limits of all five flows at once, for 4 s.
	limits := make([]float64, len(nets))
	var wg sync.WaitGroup
	for i, n := range nets {
		wg.Go(func() {
			r, err := flowLimit(n, 1<<40, 4*time.Second)
			check(err)
			limits[i] = r
		})
	}
	wg.Wait()
	var sum float64
	for _, l := range limits {
		sum += l
	}
	b.tracker.reset(nil)
	epoch := time.Now()
	seeds, err := b.startSeeds(nets, epoch)
	defer stopSeeds(seeds)
	check(err)
	res := b.leech(1, b.leechLimit(sum))[0]
	check(res.err)
	var views []meterView
	var lastFast time.Time
	for i, s := range seeds {
		v := s.proxy.meter.view()
		views = append(views, v)
		if i < 4 && v.last.After(lastFast) {
			lastFast = v.last
		}
	}
	all := sumViews(views...)
	data := all.last.Sub(all.first)
	fmt.Printf("(2) 4 seeds at 8 MB/s + 1 at 1 MB/s, 25 ms one-way:  %6.1f MiB/s start to verified exit (%.2fs), %6.1f MiB/s first to last byte  %s\n",
		mibps(b.size, res.wall), res.wall.Seconds(), mibps(b.size, data), b.tag)
	fmt.Printf("    sum of the one-flow limits %.1f MiB/s: shoal at %.0f%% (exit) / %.0f%% (bytes); goal >= 97%%\n",
		sum/(1<<20), 100*mibps(b.size, res.wall)*(1<<20)/sum, 100*mibps(b.size, data)*(1<<20)/sum)
	var shares []string
	for i, v := range views {
		shares = append(shares, fmt.Sprintf("%.1f%% (limit %.1f%%)", 100*float64(v.total)/float64(all.total), 100*limits[i]/sum))
	}
	fmt.Printf("    each seed's share of the bytes: %s\n", strings.Join(shares, ", "))
	fmt.Printf("    tail: the slow seed's last byte came %.2fs after the fast seeds' last\n", max(0, all.last.Sub(lastFast).Seconds()))
	if os.Getenv("NETBENCH_DEBUG") != "" {
		fmt.Printf("    received %.2f MiB for %d MiB; first byte %.2fs after the seeds were up\n",
			float64(all.total)/(1<<20), b.size>>20, all.first.Sub(epoch).Seconds())
		timeline(views, 500*time.Millisecond)
	}
}

// (3) The seed's connections are reset (TCP RST) at 25%, 50% and 75% of the
// payload: how long until data flows again, and until the rate is back?
func (b *bench) resets() {
	net := network{OneWay: 50 * time.Millisecond}
	flow, err := flowLimit(net, b.size, time.Minute)
	check(err)
	b.tracker.reset(nil)
	epoch := time.Now()
	seeds, err := b.startSeeds([]network{net}, epoch)
	defer stopSeeds(seeds)
	check(err)
	p := seeds[0].proxy
	var resetAt []time.Time
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, frac := range []int64{1, 2, 3} {
			for p.meter.view().total < b.size*frac/4 {
				select {
				case <-done:
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
			resetAt = append(resetAt, p.reset())
		}
	})
	res := b.leech(1, b.leechLimit(flow))[0]
	close(done)
	wg.Wait()
	check(res.err)
	v := p.meter.view()
	fmt.Printf("(3) 1 seed, 100 ms RTT, %d resets:  %6.1f MiB/s start to verified exit (%.2fs); one-flow limit %.1f MiB/s  %s\n",
		len(resetAt), mibps(b.size, res.wall), res.wall.Seconds(), flow/(1<<20), b.tag)
	if os.Getenv("NETBENCH_DEBUG") != "" {
		for i, at := range resetAt {
			fmt.Printf("reset %d at %v\n", i, at.Sub(epoch))
		}
		for i, f := range v.flowing {
			fmt.Printf("flowing %d at %v\n", i, f.Sub(epoch))
		}
		for i := 0; i < len(v.buckets); i += 5 {
			fmt.Printf("%v:%.1f ", time.Duration(i)*bucket, v.rate(time.Duration(i)*bucket, time.Duration(i+5)*bucket))
		}
		fmt.Println()
	}
	for i, at := range resetAt {
		again := "never"
		if j := slices.IndexFunc(v.flowing, func(t time.Time) bool { return t.After(at.Add(50 * time.Millisecond)) }); j >= 0 {
			again = fmt.Sprintf("%.2fs", v.flowing[j].Sub(at).Seconds())
		}
		before := v.rate(at.Sub(epoch)-time.Second, at.Sub(epoch))
		back := "not within the run"
		for d := 100 * time.Millisecond; at.Add(d).Before(v.last); d += bucket {
			if r := v.rate(at.Sub(epoch)+d-time.Second, at.Sub(epoch)+d); d >= time.Second && r >= 0.9*before {
				back = fmt.Sprintf("%.2fs", d.Seconds())
				break
			}
		}
		fmt.Printf("    reset %d at %3d%%: a new connection carried 256 KiB after %s; rate over 1 s back to 90%% of the %.1f MiB/s before after %s\n",
			i+1, 25*(i+1), again, before, back)
	}
}

// (4) One seed with an 8 MB/s uplink feeds n leechers, everyone 25 ms
// one-way: how much does the seed send, and when is the swarm complete?
// (4s) is the same with the seed super-seeding (BEP 16).
func (b *bench) swarm(n int, super bool) {
	b.super = super
	defer func() { b.super = false }()
	label, how := "(4)", ""
	if super {
		label, how = "(4s)", " super-seeding"
	}
	seedNet := network{OneWay: 25 * time.Millisecond, Uplink: 8e6}
	leechNet := network{OneWay: 25 * time.Millisecond}
	var proxies []*proxy
	var mu sync.Mutex
	epoch := time.Now()
	b.tracker.reset(func(port int) (*proxy, error) {
		p, err := newProxy(fmt.Sprintf("leecher%d", port), fmt.Sprintf("127.0.0.1:%d", port), leechNet, epoch)
		if err == nil {
			mu.Lock()
			proxies = append(proxies, p)
			mu.Unlock()
		}
		return p, err
	})
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range proxies {
			p.Stop()
		}
	}()
	seeds, err := b.startSeeds([]network{seedNet}, epoch)
	defer stopSeeds(seeds)
	check(err)
	oneCopy := time.Duration(float64(b.size) / float64(seedNet.Uplink) * float64(time.Second))
	began := time.Now()
	res := b.leech(n, b.leechLimit(float64(seedNet.Uplink)/float64(n)))
	var walls []time.Duration
	var cpu time.Duration
	failed := 0
	for _, r := range res {
		cpu += r.cpu
		if r.err != nil {
			failed++
			fmt.Printf("    %v\n", r.err)
			continue
		}
		walls = append(walls, r.wall)
	}
	slices.Sort(walls)
	v := seeds[0].proxy.meter.view()
	sent := v.total
	fmt.Printf("%s 1%s seed (8 MB/s uplink) -> %d leechers, all 25 ms one-way:  swarm complete after %.2fs; the seed sent %.2f copies  %s\n",
		label, how, n, time.Since(began).Seconds(), float64(sent)/float64(b.size), b.tag)
	if len(walls) > 0 {
		fmt.Printf("    leechers done after %.2fs (first), %.2fs (median), %.2fs (last); %d failed; one copy at the seed's uplink takes %.2fs\n",
			walls[0].Seconds(), walls[len(walls)/2].Seconds(), walls[len(walls)-1].Seconds(), failed, oneCopy.Seconds())
	}
	// The swarm's work per byte, which the VM's load moves far less than
	// the time: what a change to the exchange between leechers costs.
	fmt.Printf("    the leechers used %.1f CPU s in all, %.1f CPU s per GiB they received\n",
		cpu.Seconds(), cpu.Seconds()/(float64(int64(n)*b.size)/(1<<30)))
	fmt.Printf("    %s\n", copyTimeline(v, b.size, began.Sub(epoch)))
}

// copyTimeline says when the seed's bytes reached one copy of the payload,
// how much of that copy was blocks it sent for the first time, when every
// block had left it once, and what it sent in each 10 s from start (the
// leechers' start).
func copyTimeline(v meterView, size int64, start time.Duration) string {
	var sum, fresh, freshAtOne int64
	one, all := "never", "never"
	for i, n := range v.buckets {
		before := fresh
		if i < len(v.fresh) {
			fresh += v.fresh[i]
		}
		at := fmt.Sprintf("%.1fs", (time.Duration(i+1)*bucket - start).Seconds())
		if sum < size && sum+n >= size {
			one, freshAtOne = at, fresh
		}
		if before < size && fresh >= size {
			all = at
		}
		sum += n
	}
	var per []string
	for from := start; from < time.Duration(len(v.buckets))*bucket; from += 10 * time.Second {
		per = append(per, fmt.Sprintf("%.2f", v.rate(from, from+10*time.Second)*10*(1<<20)/float64(size)))
	}
	return fmt.Sprintf("the seed's bytes reached one copy after %s, %.0f%% of it blocks sent for the first time; every block had left it after %s; copies it sent in each 10 s: %s",
		one, 100*float64(freshAtOne)/float64(size), all, strings.Join(per, ", "))
}

// ramp lists the MiB/s in each of the first n seconds after from.
func ramp(v meterView, from time.Duration, n int) string {
	var s []string
	for i := range n {
		s = append(s, fmt.Sprintf("%.0f", v.rate(from+time.Duration(i)*time.Second, from+time.Duration(i+1)*time.Second)))
	}
	return strings.Join(s, ", ")
}

// timeline prints each view's MiB/s in every step from the epoch.
func timeline(views []meterView, step time.Duration) {
	n := 0
	for _, v := range views {
		n = max(n, len(v.buckets))
	}
	for from := time.Duration(0); from < time.Duration(n)*bucket; from += step {
		fmt.Printf("    %5.2fs", from.Seconds())
		for _, v := range views {
			fmt.Printf(" %6.1f", v.rate(from, from+step))
		}
		fmt.Println()
	}
}
